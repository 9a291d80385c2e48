/**
 * The difference between the topic catalog and a live cluster, as a list of actions. Pure: reading the
 * cluster and applying the plan live elsewhere, so every rule here is unit-tested without a broker.
 * Never deletes a topic and never shrinks one: a partition decrease is refused, because Kafka cannot do it
 * and a re-created topic would lose data and break per-key ordering.
 */

/** What the catalog wants for one topic, after capping to the cluster's size. */
export interface DesiredTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Readonly<Record<string, string>>;
}

/** What the cluster has for one topic. `configs` holds the values of the keys the catalog manages. */
export interface LiveTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Readonly<Record<string, string | undefined>>;
}

export type TopicAction =
  | { kind: 'create'; topic: DesiredTopic }
  | { kind: 'add-partitions'; name: string; from: number; to: number }
  | { kind: 'alter-config'; name: string; key: string; from: string | undefined; to: string }
  | { kind: 'refuse-partition-decrease'; name: string; live: number; catalog: number }
  | { kind: 'replication-drift'; name: string; live: number; catalog: number };

export interface TopicPlan {
  actions: TopicAction[];
  /** Things the operator should know that are not actions (e.g. replication capped on a small cluster). */
  warnings: string[];
}

export interface CatalogTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  configs: Readonly<Record<string, string>>;
}

/**
 * Caps replication to the number of brokers (a single dev broker cannot host 3 replicas) and
 * `min.insync.replicas` to the capped replication (otherwise every acks=all write would fail with
 * NOT_ENOUGH_REPLICAS). Each cap is reported as a warning: it is a development convenience, and on a
 * production cluster of three brokers nothing is capped.
 */
export function desiredTopics(
  catalog: readonly CatalogTopic[],
  brokerCount: number,
): { topics: DesiredTopic[]; warnings: string[] } {
  const warnings: string[] = [];
  const topics = catalog.map((topic) => {
    const replicationFactor = Math.min(topic.replicationFactor, brokerCount);
    const minInsync = Math.min(topic.minInsyncReplicas, replicationFactor);
    return {
      name: topic.name,
      partitions: topic.partitions,
      replicationFactor,
      configs: { ...topic.configs, 'min.insync.replicas': String(minInsync) },
    };
  });
  const cappedCount = catalog.filter((topic) => topic.replicationFactor > brokerCount).length;
  if (cappedCount > 0) {
    warnings.push(
      `The cluster has ${brokerCount} broker(s): replication factor capped to ${Math.min(...topics.map((t) => t.replicationFactor))} ` +
        `and min.insync.replicas to match, for ${cappedCount} topic(s). Acknowledged writes then survive no broker loss; ` +
        "use the three-broker cluster (npm run kafka:cluster:start) or production for the catalog's RF 3 / min ISR 2.",
    );
  }
  return { topics, warnings };
}

export function planTopics(desired: readonly DesiredTopic[], live: ReadonlyMap<string, LiveTopic>): TopicPlan {
  const actions: TopicAction[] = [];
  for (const topic of desired) {
    const current = live.get(topic.name);
    if (current === undefined) {
      actions.push({ kind: 'create', topic });
      continue;
    }
    if (current.partitions > topic.partitions) {
      actions.push({
        kind: 'refuse-partition-decrease',
        name: topic.name,
        live: current.partitions,
        catalog: topic.partitions,
      });
    } else if (current.partitions < topic.partitions) {
      actions.push({ kind: 'add-partitions', name: topic.name, from: current.partitions, to: topic.partitions });
    }
    if (current.replicationFactor !== topic.replicationFactor) {
      actions.push({
        kind: 'replication-drift',
        name: topic.name,
        live: current.replicationFactor,
        catalog: topic.replicationFactor,
      });
    }
    for (const [key, value] of Object.entries(topic.configs)) {
      if (current.configs[key] !== value) {
        actions.push({ kind: 'alter-config', name: topic.name, key, from: current.configs[key], to: value });
      }
    }
  }
  return { actions, warnings: [] };
}

/** Actions that `apply` performs; the others are reported and need a human. */
export function isApplicable(action: TopicAction): boolean {
  return action.kind === 'create' || action.kind === 'add-partitions' || action.kind === 'alter-config';
}

export function describeAction(action: TopicAction): string {
  switch (action.kind) {
    case 'create':
      return `+ create ${action.topic.name} (partitions ${action.topic.partitions}, RF ${action.topic.replicationFactor}, ${Object.entries(
        action.topic.configs,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')})`;
    case 'add-partitions':
      return `~ ${action.name}: partitions ${action.from} -> ${action.to} (keys move to new partitions: per-key order holds only for records written after the change)`;
    case 'alter-config':
      return `~ ${action.name}: ${action.key} ${action.from ?? '(default)'} -> ${action.to}`;
    case 'refuse-partition-decrease':
      return `! ${action.name}: the cluster has ${action.live} partitions, the catalog ${action.catalog}; refusing to decrease (Kafka cannot shrink a topic; raise the catalog to ${action.live} or migrate to a new topic)`;
    case 'replication-drift':
      return `! ${action.name}: replication factor ${action.live} on the cluster, ${action.catalog} in the catalog; change it with a partition reassignment (kafka-reassign-partitions), not with apply`;
  }
}
