import { findErrorBy } from '@platformatic/kafka';

/**
 * What a failed Kafka request was answered, counted. The client nests its failures (a send fails per
 * destination broker, each after its attempts, each attempt a response with an error per partition), and a
 * logger prints only the first levels of such a tree: the relay's "send failed after 17 attempts" reached
 * the log with every broker's answer cut to `[Object]`. This walks the whole tree and counts the Kafka error
 * names (`NOT_LEADER_OR_FOLLOWER`, `NOT_ENOUGH_REPLICAS`, …) and the client's own leaf codes (a network or
 * timeout error), so the log says what the cluster answered.
 */
export function kafkaErrorCounts(error: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  const seen = new Set<object>();
  const visit = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object' || seen.has(node) || depth > 12) return;
    seen.add(node);
    const { apiId, code, aggregateErrors, errors } = node as {
      apiId?: unknown;
      code?: unknown;
      aggregateErrors?: unknown;
      errors?: unknown;
    };
    const children = [
      ...(Array.isArray(aggregateErrors) ? aggregateErrors : []),
      ...(Array.isArray(errors) ? errors : []),
    ];
    const name =
      typeof apiId === 'string' ? apiId : children.length === 0 && typeof code === 'string' ? code : undefined;
    if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
    for (const child of children) visit(child, depth + 1);
  };
  visit(error, 0);
  return counts;
}

/**
 * Whether any answer in the tree says the client's idea of the partition leaders is out of date
 * (`NOT_LEADER_OR_FOLLOWER`, `LEADER_NOT_AVAILABLE`, `FENCED_LEADER_EPOCH`, `UNKNOWN_TOPIC_OR_PARTITION`): the
 * client's own flag, found with its own search.
 */
export function hasStaleMetadata(error: unknown): boolean {
  return findErrorBy(error as Error, 'hasStaleMetadata', true) !== null;
}
