import type { KafkaNode } from './kafka-node.ts';
import { describeNodeLogs } from './log-tail.ts';
import { type MetadataSummary, waitForMetadata } from './wait-for-metadata.ts';

/** Fewer lines per node when several nodes' logs go into one error message. */
const MULTI_NODE_TAIL_LINES = 15;

class NodeDiedError extends Error {}

/**
 * Waits until every node in `waitOn` answers Metadata itself and lists all `expectedBrokerIds`;
 * asking each node directly proves that very JVM is serving, not just some other cluster member.
 * Fails fast, with the dead node's log tail, if any node in `watch` exits meanwhile.
 */
export async function awaitNodesReady(
  waitOn: readonly KafkaNode[],
  watch: readonly KafkaNode[],
  expectedBrokerIds: readonly number[],
  timeoutMs: number,
): Promise<MetadataSummary> {
  const controller = new AbortController();
  for (const node of watch) {
    void node.exited?.then((how) => {
      controller.abort(
        new NodeDiedError(
          `Kafka node ${node.nodeId} (${node.bootstrapServer}) exited during startup (${how}).\n` +
            describeNodeLogs(node.layout),
        ),
      );
    });
  }
  try {
    const summaries = await Promise.all(
      waitOn.map((node) =>
        waitForMetadata([node.bootstrapServer], timeoutMs, {
          expectedBrokerIds,
          signal: controller.signal,
          security: { sasl: node.adminSasl },
        }),
      ),
    );
    const [first] = summaries;
    if (!first) throw new Error('awaitNodesReady needs at least one node to wait on');
    return first;
  } catch (error) {
    if (error instanceof NodeDiedError) throw error;
    const lines = watch.length > 1 ? MULTI_NODE_TAIL_LINES : undefined;
    const logs = watch.map((node) => describeNodeLogs(node.layout, lines)).join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  } finally {
    // Later exits (a normal stop) must not be reported as startup failures.
    controller.abort(new Error('startup finished'));
  }
}
