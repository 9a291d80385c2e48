/** Renders docs/topics.md from the topic catalog: the business topics table and the failure-path topics. */
import { CONSUMERS, RETRY_DELAYS_MS } from '../consumers.ts';
import {
  ASSUMED_EVENTS_PER_SECOND_PER_PARTITION,
  BROKER_COUNT,
  HEADROOM_FACTOR,
  MAX_PARTITIONS_PER_TOPIC,
  PEAK_ORDERS_PER_SECOND,
  RETRY_TRAFFIC_SHARE,
} from '../partitioning.ts';
import {
  CONSUMER_GROUPS,
  DEAD_LETTER_RETENTION_MS,
  EVENT_RETENTION_MS,
  RETRY_RETENTION_MS,
  TOPICS,
  type TopicDefinition,
  type TopicId,
  topic,
} from '../topics.ts';
import { cell, code, duration, generatedBanner, table } from './markdown.ts';

function consumersCell(definition: TopicDefinition): string {
  if (definition.consumers.length === 0) return 'none (read by the `dlt` CLI by offset)';
  return definition.consumers.map((reader) => `${reader.service} (group ${code(reader.groupId)})`).join('<br>');
}

function businessTable(): string {
  const rows = TOPICS.filter((definition) => definition.kind === 'event' || definition.kind === 'command').map(
    (definition) => [
      code(definition.name),
      code(definition.id),
      definition.kind,
      definition.owner,
      consumersCell(definition),
      String(definition.partitions),
      String(definition.replicationFactor),
      String(definition.minInsyncReplicas),
      duration(definition.retentionMs),
      definition.cleanupPolicy,
      code(definition.partitionKey),
      definition.events.join(', '),
      cell(definition.rationale),
    ],
  );
  return table(
    [
      'Topic',
      'Id',
      'Kind',
      'Producer',
      'Consumer(s)',
      'Partitions',
      'RF',
      'min ISR',
      'Retention',
      'Cleanup',
      'Key',
      'Events',
      'Rationale',
    ],
    rows,
  );
}

function failureTable(): string {
  const rows = TOPICS.filter((definition) => definition.kind === 'retry' || definition.kind === 'dead-letter').map(
    (definition) => {
      const position = definition.failurePath;
      return [
        code(definition.name),
        code(definition.id),
        definition.owner,
        consumersCell(definition),
        position?.tier === undefined ? 'dead letter' : `retry ${position.tier}`,
        position?.delayMs === undefined ? '' : duration(position.delayMs),
        position?.next === undefined ? '' : code(topic(position.next).name),
        String(definition.partitions),
        String(definition.replicationFactor),
        String(definition.minInsyncReplicas),
        duration(definition.retentionMs),
      ];
    },
  );
  return table(
    [
      'Topic',
      'Id',
      'Owner (only writer)',
      'Consumer group',
      'Stage',
      'Delay',
      'On failure',
      'Partitions',
      'RF',
      'min ISR',
      'Retention',
    ],
    rows,
  );
}

function retryPurpose(tierIds: readonly TopicId[]): string {
  const tiers = tierIds.flatMap((id) => {
    const tier = topic(id).failurePath;
    return tier?.tier === undefined || tier.delayMs === undefined ? [] : [tier];
  });
  const first = tiers[0];
  if (first === undefined) return '';
  const delays = tiers.map((tier) => `tier ${tier.tier} after ${duration(tier.delayMs as number)}`).join(', ');
  return `Retry tiers of ${consumerGroupOf(first.consumerId)}: handles its failed records again (${delays}); each tier's partitions wait for their own records only.`;
}

function consumerGroupOf(consumerId: string): string {
  return CONSUMERS.find((candidate) => candidate.id === consumerId)?.groupId ?? consumerId;
}

function groupsTable(): string {
  const rows = CONSUMER_GROUPS.map((group) => {
    const reader = CONSUMERS.find((candidate) => candidate.id === group.consumerId);
    return [
      code(group.groupId),
      group.service,
      group.role,
      group.topics.map((id) => code(topic(id).name)).join('<br>'),
      cell(group.role === 'main' ? (reader?.purpose ?? '') : retryPurpose(group.topics)),
    ];
  });
  return table(['Group id', 'Service', 'Role', 'Reads', 'Purpose'], rows);
}

/** The content of docs/topics.md. */
export function renderTopicsDoc(): string {
  const sample = CONSUMERS[0];
  const sampleRetry = sample === undefined ? '' : topic(`${sample.id}Retry1`).name;
  const sampleDlt = sample === undefined ? '' : topic(`${sample.id}DeadLetter`).name;
  return `# Kafka topics

${generatedBanner('packages/contracts/src/topics.ts')}

The topic catalog in \`packages/contracts/src/topics.ts\` is the only place topic names are written; code uses the
logical ids below. Names follow \`<owner-service>.<name>\` in kebab-case, where the owner is the **only** service that
writes to the topic (one prefixed ACL per service). Design reasons: [design/contracts.md](design/contracts.md).

## Business topics

${businessTable()}

## Partition calculation

Every partition count comes from one model (\`packages/contracts/src/partitioning.ts\`):

- peak load: **${PEAK_ORDERS_PER_SECOND} orders/s** (the peak the system is sized for), times the records per order a topic receives;
- headroom: **x${HEADROOM_FACTOR}** for growth, uneven hashing and catch-up after an outage;
- per-partition consumer throughput: **${ASSUMED_EVENTS_PER_SECOND_PER_PARTITION} records/s**, an ASSUMPTION (one consumer, records in
  order, one PostgreSQL transaction per small batch). It must be replaced by the figure the load tool measures
  (\`npm run load\`, recorded in docs/benchmarks.md); the catalog test then fails for every topic that became too small;
- rounded up to a multiple of ${BROKER_COUNT} (the production cluster's brokers) so partition leaders spread evenly;
- at most ${MAX_PARTITIONS_PER_TOPIC} per topic: the development machine has two cores, and every partition costs file handles,
  replica fetching and rebalance time;
- retry tiers are sized for ${RETRY_TRAFFIC_SHARE * 100} % of their consumer's source traffic failing at peak; dead-letter topics have 1 partition.

Partition counts are literals in the catalog, not computed at startup: adding partitions re-maps keys to partitions
(breaking per-order ordering for orders in flight) and partitions can never be removed, so a change is a reviewed
catalog edit that \`topics plan\` shows before \`topics apply\` makes it.

## Failure-path topics (retry tiers and dead letters)

Each consumer has its own retry tiers (default delays ${RETRY_DELAYS_MS.map((ms) => duration(ms)).join(', ')}) and its own
dead-letter topic, named by extending its consumer group id: for example \`${sampleRetry}\` and \`${sampleDlt}\`.
They belong to the consuming service, which is their only writer, so a retried record reaches only the consumer that
failed, never the other consumers of the source topic. Tiers are named by position, not by delay, so the delays can be
reconfigured without renaming topics. Each tier is drained by its own consumer group, named like the tier topic, so a
tier waiting out its delay never holds back the main group and its lag is watched separately.

${failureTable()}

## Consumer groups

${groupsTable()}

## Retention

- Business topics: **${duration(EVENT_RETENTION_MS)}**. The services' databases (and their outboxes) are the source of truth, so Kafka does not keep
  history forever; 7 days outlasts any realistic consumer outage (a 2-hour Notification Service outage, a long
  weekend) plus the time to notice and replay.
- Retry tiers: **${duration(RETRY_RETENTION_MS)}**, the same as their sources: a record in a tier is work not yet done and must survive the
  same outage of its consumer.
- Dead-letter topics: **${duration(DEAD_LETTER_RETENTION_MS)}**: time for a human to triage, fix and replay. It also bounds how long the
  Notification Service's dead letters keep customer contacts.
- Cleanup policy \`delete\` everywhere: these topics carry events, not the latest state per key; compaction would keep
  only the last record of each order and drop its earlier events.
`;
}
