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
  walkKafkaErrors(error, (node, children) => {
    const { apiId, code } = node as { apiId?: unknown; code?: unknown };
    const name = typeof apiId === 'string' ? apiId : children === 0 && typeof code === 'string' ? code : undefined;
    if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
  });
  return counts;
}

/**
 * Whether any answer in the tree says the client's idea of the partition leaders is out of date
 * (`NOT_LEADER_OR_FOLLOWER`, `LEADER_NOT_AVAILABLE`, `FENCED_LEADER_EPOCH`, `UNKNOWN_TOPIC_OR_PARTITION`: the
 * client marks those `hasStaleMetadata`).
 */
export function hasStaleMetadata(error: unknown): boolean {
  let stale = false;
  walkKafkaErrors(error, (node) => {
    if ((node as { hasStaleMetadata?: unknown }).hasStaleMetadata === true) stale = true;
  });
  return stale;
}

function walkKafkaErrors(error: unknown, visit: (node: object, children: number) => void): void {
  const seen = new Set<object>();
  const walk = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object' || seen.has(node) || depth > 12) return;
    seen.add(node);
    const { aggregateErrors, errors } = node as { aggregateErrors?: unknown; errors?: unknown };
    const children = [
      ...(Array.isArray(aggregateErrors) ? aggregateErrors : []),
      ...(Array.isArray(errors) ? errors : []),
    ];
    visit(node, children.length);
    for (const child of children) walk(child, depth + 1);
  };
  walk(error, 0);
}
