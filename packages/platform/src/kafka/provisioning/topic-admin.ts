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

async function createTopic(admin: Admin, topic: DesiredTopic): Promise<void> {
  await admin.createTopics({
    topics: [topic.name],
    partitions: topic.partitions,
    replicas: topic.replicationFactor,
    configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
  });
}
