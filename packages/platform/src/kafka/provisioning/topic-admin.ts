import { type Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import type { DesiredTopic, LiveTopic, TopicAction } from './topic-plan.ts';

/** Reads the live state of the named topics (those that exist) and the number of brokers. */
export async function readCluster(
  admin: Admin,
  names: readonly string[],
  configKeys: readonly string[],
): Promise<{ brokerCount: number; topics: Map<string, LiveTopic> }> {
  const existing = new Set(await admin.listTopics());
  const wanted = names.filter((name) => existing.has(name));
  const metadata = await admin.metadata({ topics: wanted });
  const topics = new Map<string, LiveTopic>();
  if (wanted.length > 0) {
    const described = await admin.describeConfigs({
      resources: wanted.map((name) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: name,
        configurationKeys: [...configKeys],
      })),
    });
    const configsByTopic = new Map(
      described.map((d) => [d.resourceName, Object.fromEntries(d.configs.map((c) => [c.name, c.value ?? undefined]))]),
    );
    for (const name of wanted) {
      const topic = metadata.topics.get(name);
      if (topic === undefined) continue;
      topics.set(name, {
        name,
        partitions: topic.partitionsCount,
        replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
        configs: configsByTopic.get(name) ?? {},
      });
    }
  }
  return { brokerCount: metadata.brokers.size, topics };
}

/** Performs the applicable actions: creates, partition increases and config changes, in that order. */
export async function applyActions(admin: Admin, actions: readonly TopicAction[]): Promise<void> {
  const creates = actions.flatMap((a) => (a.kind === 'create' ? [a.topic] : []));
  for (const topic of creates) await createTopic(admin, topic);
  await waitUntilListed(
    admin,
    creates.map((topic) => topic.name),
  );
  const grows = actions.flatMap((a) => (a.kind === 'add-partitions' ? [a] : []));
  if (grows.length > 0) {
    await admin.createPartitions({ topics: grows.map((g) => ({ name: g.name, count: g.to, assignments: [] })) });
  }
  const alters = new Map<string, Array<{ key: string; value: string }>>();
  for (const action of actions) {
    if (action.kind !== 'alter-config') continue;
    alters.set(action.name, [...(alters.get(action.name) ?? []), { key: action.key, value: action.to }]);
  }
  if (alters.size > 0) {
    await admin.incrementalAlterConfigs({
      resources: [...alters].map(([name, configs]) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: name,
        configs: configs.map((c) => ({
          name: c.key,
          configOperation: IncrementalAlterConfigOperationTypes.SET,
          value: c.value,
        })),
      })),
    });
  }
}

/** How long a created topic may take to appear in the cluster's metadata before apply fails. */
const TOPIC_VISIBLE_TIMEOUT_MS = 30_000;
const TOPIC_VISIBLE_POLL_MS = 100;

/**
 * A created topic reaches every broker's metadata a moment after CreateTopics answers. Waiting for it means
 * "applied" is true when apply returns: an immediate plan shows no drift and a producer finds the topic.
 */
async function waitUntilListed(admin: Admin, names: readonly string[]): Promise<void> {
  const deadline = Date.now() + TOPIC_VISIBLE_TIMEOUT_MS;
  let missing = names;
  while (missing.length > 0) {
    const listed = new Set(await admin.listTopics());
    missing = missing.filter((name) => !listed.has(name));
    if (missing.length === 0) {
      // Listed is not enough for a client: the partitions must have leaders in the metadata too.
      const metadata = await admin.metadata({ topics: [...names] }).catch(() => undefined);
      missing = names.filter((name) => {
        const topic = metadata?.topics.get(name);
        return topic === undefined || topic.partitions.some((partition) => partition.leader < 0);
      });
      if (missing.length === 0) return;
    }
    if (Date.now() > deadline) {
      throw new Error(`Created topics not visible after ${TOPIC_VISIBLE_TIMEOUT_MS} ms: ${missing.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, TOPIC_VISIBLE_POLL_MS));
  }
}

async function createTopic(admin: Admin, topic: DesiredTopic): Promise<void> {
  await admin.createTopics({
    topics: [topic.name],
    partitions: topic.partitions,
    replicas: topic.replicationFactor,
    configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
  });
}
