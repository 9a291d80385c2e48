import { allTopics, kafkaTopicConfig } from '@shop/contracts/topics';
import { createAdmin, type KafkaConnection } from '../clients.ts';
import type { KafkaNamespace } from '../namespace.ts';
import { applyActions, readCluster } from './topic-admin.ts';
import { type CatalogTopic, desiredTopics, isApplicable, planTopics, type TopicPlan } from './topic-plan.ts';

/** The topic catalog of `@shop/contracts` in the shape the planner reads. */
export function catalogTopics(): CatalogTopic[] {
  return allTopics().map((topic) => ({
    name: topic.name,
    partitions: topic.partitions,
    replicationFactor: topic.replicationFactor,
    minInsyncReplicas: topic.minInsyncReplicas,
    configs: kafkaTopicConfig(topic),
  }));
}

export interface ProvisionOptions {
  connection: KafkaConnection;
  /** Default: the whole catalog. Tests pass a renamed copy so they never touch the real topics. */
  catalog?: readonly CatalogTopic[];
  /** Perform the applicable actions (create, grow, alter config). Default: false (plan only). */
  apply?: boolean;
  /** Topic name prefix (see KafkaNamespace). Default: none. */
  namespace?: KafkaNamespace;
}

export interface ProvisionResult extends TopicPlan {
  brokerCount: number;
  /** Actions that were performed (empty for a plan). */
  applied: TopicPlan['actions'];
}

/**
 * Compares the catalog with the live cluster and, with `apply`, makes the cluster match where that is
 * safe. Refused actions (partition decreases, replication drift) are returned, never performed.
 */
export async function provisionTopics(options: ProvisionOptions): Promise<ProvisionResult> {
  const namespace = options.namespace;
  const catalog = (options.catalog ?? catalogTopics()).map((t) =>
    namespace ? { ...t, name: namespace.topic(t.name) } : t,
  );
  const admin = createAdmin(options.connection);
  try {
    const configKeys = [...new Set(catalog.flatMap((t) => Object.keys(t.configs)))];
    const cluster = await readCluster(
      admin,
      catalog.map((t) => t.name),
      configKeys,
    );
    const desired = desiredTopics(catalog, cluster.brokerCount);
    const plan = planTopics(desired.topics, cluster.topics);
    const applied = options.apply ? plan.actions.filter(isApplicable) : [];
    if (applied.length > 0) await applyActions(admin, applied);
    return { brokerCount: cluster.brokerCount, actions: plan.actions, warnings: desired.warnings, applied };
  } finally {
    await admin.close();
  }
}
