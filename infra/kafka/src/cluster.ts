import { join } from 'node:path';
import { awaitNodesReady } from './await-nodes-ready.ts';
import {
  assertSecuredStorage,
  type BrokerSecurity,
  ensureBrokerSecurity,
  recordScramUsers,
} from './broker-security.ts';
import { requireJava } from './executables.ts';
import { formatStorage, isFormatted } from './format-storage.ts';
import { CLUSTER_NODE_HEAP, type HeapSettings } from './jvm-options.ts';
import { KafkaNode } from './kafka-node.ts';
import { randomKafkaUuid } from './kafka-uuid.ts';
import { advertisedAddress } from './loopback.ts';
import { nodeLayout } from './node-layout.ts';
import { DEFAULT_CLUSTER_DIR } from './repo-paths.ts';
import { consoleReporter, type Reporter } from './reporter.ts';
import { resolveKafka } from './resolve-kafka.ts';
import { ensureScramUsers } from './scram-users.ts';
import { DEFAULT_READY_TIMEOUT_MS, type MetadataSummary } from './wait-for-metadata.ts';

/** Three voters survive one failure, and RF 3 with min ISR 2 keeps accepting acks=all writes through it. */
export const CLUSTER_SIZE = 3;
export const DEFAULT_CLUSTER_CLIENT_BASE_PORT = 19092;
export const DEFAULT_CLUSTER_CONTROLLER_BASE_PORT = 19192;
const CLUSTER_REPLICATION = { replicationFactor: 3, minInsyncReplicas: 2 };

export interface ClusterOptions {
  /** Node N (1-based) listens on clientBasePort + N - 1. */
  clientBasePort?: number;
  /** Node N's controller listener is controllerBasePort + N - 1. */
  controllerBasePort?: number;
  /** Parent of the node-N directories; default .run/kafka/cluster. */
  dataDir?: string;
  detached?: boolean;
  echo?: boolean;
  /** Per node. */
  heap?: HeapSettings;
  readyTimeoutMs?: number;
  /** Extra server.properties entries for every node, applied last. */
  extraProperties?: Record<string, string>;
  report?: Reporter;
  env?: NodeJS.ProcessEnv;
}

export interface KafkaCluster {
  bootstrapServers: string[];
  nodes: KafkaNode[];
  /** The cluster's generated passwords (credentials directory, the provisioner's login). */
  security: BrokerSecurity;
  /** True when every node was found running from an earlier detached start. */
  alreadyRunning: boolean;
  node(nodeId: number): KafkaNode;
  /** Starts the node again on its existing data dir (stopping it first if it runs) and waits until it serves. */
  restart(nodeId: number): Promise<MetadataSummary>;
  /** Stops all nodes in parallel: SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<void>;
}

/**
 * All nodes must be formatted with the same cluster id and initial voter set (KIP-853), so the
 * directory ids in "--initial-controllers" are chosen here and handed to every node.
 */
async function formatCluster(
  nodes: readonly KafkaNode[],
  rootDir: string,
  classpath: string,
  report: Reporter,
  security: BrokerSecurity,
): Promise<void> {
  const formatted = nodes.filter((node) => isFormatted(node.layout));
  if (formatted.length === nodes.length) return;
  if (formatted.length > 0) {
    throw new Error(
      `Cluster storage is half formatted (only nodes ${formatted.map((node) => node.nodeId).join(', ')}). ` +
        `Delete ${rootDir} to start from scratch.`,
    );
  }
  report(`Formatting storage for ${nodes.length} nodes`);
  const clusterId = randomKafkaUuid();
  const voters = nodes
    .map((node) => `${node.nodeId}@${advertisedAddress(node.controllerPort)}:${randomKafkaUuid()}`)
    .join(',');
  for (const node of nodes) node.writeProperties();
  await Promise.all(
    nodes.map((node) =>
      formatStorage(node.layout, clusterId, { kind: 'initial-controllers', voters }, classpath, security),
    ),
  );
  recordScramUsers(security);
}

/** Starts (or finds running) a three-node KRaft cluster of combined broker+controller nodes on loopback. */
export async function startCluster(options: ClusterOptions = {}): Promise<KafkaCluster> {
  const report = options.report ?? consoleReporter;
  const startedAt = Date.now();
  const resolved = await resolveKafka({ report, env: options.env });
  const clientBase = options.clientBasePort ?? DEFAULT_CLUSTER_CLIENT_BASE_PORT;
  const controllerBase = options.controllerBasePort ?? DEFAULT_CLUSTER_CONTROLLER_BASE_PORT;
  const rootDir = options.dataDir ?? DEFAULT_CLUSTER_DIR;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const runtime = {
    java: requireJava(options.env),
    classpath: resolved.classpath,
    heap: options.heap ?? CLUSTER_NODE_HEAP,
    detached: options.detached ?? false,
    echo: options.echo,
    env: options.env,
  };
  const layouts = Array.from({ length: CLUSTER_SIZE }, (_, index) => nodeLayout(join(rootDir, `node-${index + 1}`)));
  assertSecuredStorage(layouts, rootDir);
  const security = ensureBrokerSecurity(rootDir);
  const nodeIds = Array.from({ length: CLUSTER_SIZE }, (_, index) => index + 1);
  const controllerQuorum = nodeIds.map((id) => advertisedAddress(controllerBase + id - 1));
  const nodes = nodeIds.map(
    (nodeId) =>
      new KafkaNode(
        {
          nodeId,
          clientPort: clientBase + nodeId - 1,
          controllerPort: controllerBase + nodeId - 1,
          controllerQuorum,
          replication: CLUSTER_REPLICATION,
          layout: layouts[nodeId - 1] ?? nodeLayout(join(rootDir, `node-${nodeId}`)),
          security,
          extraProperties: options.extraProperties,
        },
        runtime,
      ),
  );
  const bootstrapServers = nodes.map((node) => node.bootstrapServer);
  const byId = (nodeId: number): KafkaNode => {
    const found = nodes.find((node) => node.nodeId === nodeId);
    if (!found) throw new Error(`No node ${nodeId} in this cluster (nodes are ${nodeIds.join(', ')})`);
    return found;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const cluster = (alreadyRunning: boolean): KafkaCluster => ({
    bootstrapServers,
    nodes,
    security,
    alreadyRunning,
    node: byId,
    restart: async (nodeId) => {
      const node = byId(nodeId);
      await node.stop();
      await node.launch();
      // Only this node must be back; the others may be down on purpose in a fault test.
      return awaitNodesReady([node], [node], [nodeId], readyTimeoutMs);
    },
    stop,
  });

  const adopted = nodes.filter((node) => node.adoptRunning());
  if (adopted.length === nodes.length) {
    report(`Kafka cluster is already running (${bootstrapServers.join(',')}, dir ${rootDir})`);
    await awaitNodesReady(nodes, nodes, nodeIds, readyTimeoutMs);
    await ensureScramUsers(security, bootstrapServers.join(','), resolved.classpath, report);
    return cluster(true);
  }

  await formatCluster(nodes, rootDir, resolved.classpath, report, security);
  const missing = nodes.filter((node) => !node.isRunning());
  report(
    `Starting Kafka ${resolved.version} cluster node(s) ${missing.map((node) => node.nodeId).join(', ')} ` +
      `on ${bootstrapServers.join(',')} (dir ${rootDir})`,
  );
  try {
    for (const node of missing) await node.launch();
    await awaitNodesReady(nodes, nodes, nodeIds, readyTimeoutMs);
    await ensureScramUsers(security, bootstrapServers.join(','), resolved.classpath, report);
  } catch (error) {
    await stop();
    throw error;
  }
  report(`Kafka cluster ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return cluster(false);
}
