/**
 * The topic catalog: the only place in the repository where a topic name is written. Code refers to
 * topics by logical id (`topic('orderPlaced').name`); a test fails when any other file spells a
 * catalog topic name in a string literal. Provisioning (`topics plan`/`apply`), the services, the lag
 * monitor, the DLT tooling and the generated docs/topics.md all read this file.
 *
 * Naming: `<owner-service>.<name>`, kebab-case segments separated by dots. The prefix names the only
 * service that writes to the topic, so one prefixed ACL per service (WRITE on `<service>.`) grants
 * exactly its topics. Business topics have two segments. A consumer's retry and dead-letter topics
 * extend that consumer's group id (`<service>.<consumer>.retry-<n>`, `<service>.<consumer>.dlt`):
 * they belong to the consuming service, which is their only writer, and a record retried there is
 * re-delivered to that consumer alone, never to the other consumers of the source topic.
 */
import {
  CONSUMERS,
  type ConsumerDefinition,
  type ConsumerId,
  RETRY_TIERS,
  type RetryTier,
  retryDelayMs,
} from './consumers.ts';
import type { EventType } from './events/registry.ts';
import {
  DEAD_LETTER_PARTITIONS,
  describePartitionCalculation,
  RETRY_TRAFFIC_SHARE,
  requiredPartitions,
} from './partitioning.ts';
import type { ServiceName } from './services.ts';
import { BUSINESS_TOPIC_SPECS, type BusinessTopicId } from './topics-business.ts';

export type { BusinessTopicId } from './topics-business.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Replicas of every partition on the production cluster (3 brokers): survives one broker loss with quorum. */
export const REPLICATION_FACTOR = 3;

/**
 * `min.insync.replicas` of every topic. With producers on acks=all, a write is acknowledged only once
 * 2 of 3 replicas have it, so an acknowledged record survives the loss of any one broker; with one
 * broker down, writes continue.
 */
export const MIN_INSYNC_REPLICAS = 2;

/**
 * Retention of business topics: 7 days. The outbox and the services' databases are the source of
 * truth, so Kafka need not keep history forever, but it must outlast any realistic consumer outage
 * (a 2-hour Notification outage, a long weekend) plus the time to notice and replay.
 */
export const EVENT_RETENTION_MS = 7 * DAY_MS;

/**
 * Retention of retry tiers: the same as the source topics. A record in a retry tier is work not yet
 * done; it must survive the same outage of its consumer as the record it came from.
 */
export const RETRY_RETENTION_MS = EVENT_RETENTION_MS;

/**
 * Retention of dead-letter topics: 30 days, time for a human to notice, triage, fix and replay. It
 * also bounds how long personal data (contacts in the Notification Service's dead letters) is kept.
 */
export const DEAD_LETTER_RETENTION_MS = 30 * DAY_MS;

/**
 * Every topic uses `delete`: topics carry events, not the latest state per key. Compaction would keep
 * only the last record per order id and silently drop an order's earlier events (an OrderConfirmed
 * before its OrderCancelled).
 */
export const CLEANUP_POLICY = 'delete';

/** Every record's key is the order id (UTF-8 of its canonical lowercase UUID text). */
export const PARTITION_KEY_FIELD = 'orderId';

/** What a topic carries: facts (`event`), requests to act (`command`), or a consumer's failure path. */
export type TopicKind = 'event' | 'command' | 'retry' | 'dead-letter';

/** Logical id of a consumer's retry tier, e.g. `'reserveStockRetry1'`. */
export type RetryTopicId = `${ConsumerId}Retry${RetryTier}`;
/** Logical id of a consumer's dead-letter topic, e.g. `'reserveStockDeadLetter'`. */
export type DeadLetterTopicId = `${ConsumerId}DeadLetter`;
/** Logical id of any catalog topic. */
export type TopicId = BusinessTopicId | RetryTopicId | DeadLetterTopicId;

/** A consumer group reading a topic. */
export interface TopicConsumer {
  /** The consumer group id. */
  readonly groupId: string;
  /** The service running the group. */
  readonly service: ServiceName;
  /** The consumer this group belongs to (the main group, or one of its retry-tier groups). */
  readonly consumerId: ConsumerId;
}

/** Where a retry or dead-letter topic sits in its consumer's failure path. */
export interface FailurePathPosition {
  /** The consumer whose failures this topic holds. */
  readonly consumerId: ConsumerId;
  /** Retry tier (1 = first retry); absent for the dead-letter topic. */
  readonly tier?: RetryTier;
  /** Default delay before a record in this tier is handled again; absent for the dead-letter topic. */
  readonly delayMs?: number;
  /** Where a record goes when handling from this tier fails again; absent for the dead-letter topic. */
  readonly next?: TopicId;
}

/** One topic of the catalog, with everything provisioning, services, tools and docs need. */
export interface TopicDefinition {
  /** Logical id used by code instead of the name. */
  readonly id: TopicId;
  /** The Kafka topic name. */
  readonly name: string;
  /** What the topic carries. */
  readonly kind: TopicKind;
  /** The only service that writes to it (and the name's prefix). */
  readonly owner: ServiceName;
  /** The consumer groups that read it; empty for dead-letter topics (read by tools by offset). */
  readonly consumers: readonly TopicConsumer[];
  /** Partition count (never decreased; increased only as a reviewed change). */
  readonly partitions: number;
  /** Replication factor. */
  readonly replicationFactor: number;
  /** `min.insync.replicas`. */
  readonly minInsyncReplicas: number;
  /** `retention.ms`. */
  readonly retentionMs: number;
  /** `cleanup.policy`. */
  readonly cleanupPolicy: typeof CLEANUP_POLICY;
  /** Payload field whose value is the record key. */
  readonly partitionKey: typeof PARTITION_KEY_FIELD;
  /** Event types that may appear on the topic. */
  readonly events: readonly EventType[];
  /** Why the topic exists and is shaped this way, including the partition calculation. */
  readonly rationale: string;
  /** For retry and dead-letter topics: their place in the consumer's failure path. */
  readonly failurePath?: FailurePathPosition;
  /**
   * The load the partition count was sized for: records per order at peak, times the share of them
   * that reach this topic (1 for business topics, the retried share for retry tiers). Absent for
   * dead-letter topics, which are not sized by throughput.
   */
  readonly sizedFor?: { readonly recordsPerOrder: number; readonly share: number };
}

function groupsReading(topicId: BusinessTopicId): TopicConsumer[] {
  return CONSUMERS.filter((candidate) => candidate.sources.includes(topicId)).map((reader) => ({
    groupId: reader.groupId,
    service: reader.service,
    consumerId: reader.id,
  }));
}

const BUSINESS_TOPICS: readonly TopicDefinition[] = BUSINESS_TOPIC_SPECS.map((spec) => ({
  id: spec.id,
  name: spec.name,
  kind: spec.kind,
  owner: spec.owner,
  consumers: groupsReading(spec.id),
  partitions: spec.partitions,
  replicationFactor: REPLICATION_FACTOR,
  minInsyncReplicas: MIN_INSYNC_REPLICAS,
  retentionMs: EVENT_RETENTION_MS,
  cleanupPolicy: CLEANUP_POLICY,
  partitionKey: PARTITION_KEY_FIELD,
  events: spec.events,
  rationale: `${spec.why} Partitions: ${describePartitionCalculation(spec.recordsPerOrder)}.`,
  sizedFor: { recordsPerOrder: spec.recordsPerOrder, share: 1 },
}));

/** Records per order at peak that reach a consumer: the sum over its source topics. */
function recordsPerOrderInto(reader: ConsumerDefinition): number {
  return reader.sources.reduce(
    (sum, id) => sum + (BUSINESS_TOPIC_SPECS.find((spec) => spec.id === id)?.recordsPerOrder ?? 0),
    0,
  );
}

function eventsReadBy(reader: ConsumerDefinition): EventType[] {
  return reader.sources.flatMap((id) => BUSINESS_TOPICS.find((candidate) => candidate.id === id)?.events ?? []);
}

/** Name of retry tier `tier`'s topic of `reader`. */
function retryTopicName(reader: ConsumerDefinition, tier: RetryTier): string {
  return `${reader.groupId}.retry-${tier}`;
}

/**
 * Group id of the one consumer group that drains every retry tier of `reader`. One group member for all
 * tiers (instead of one per tier) polls a third as often when idle; the tiers stay independent because the
 * runner handles each partition on its own, so a tier waiting for a record to be due blocks no other.
 */
function retryGroupId(reader: ConsumerDefinition): string {
  return `${reader.groupId}.retry`;
}

function failureTopicsOf(reader: ConsumerDefinition): TopicDefinition[] {
  const recordsPerOrder = recordsPerOrderInto(reader);
  const events = eventsReadBy(reader);
  const deadLetterId: DeadLetterTopicId = `${reader.id}DeadLetter`;
  const deadLetterName = `${reader.groupId}.dlt`;
  const retryPartitions = requiredPartitions(recordsPerOrder, RETRY_TRAFFIC_SHARE);
  const retries = RETRY_TIERS.map((tier): TopicDefinition => {
    const name = retryTopicName(reader, tier);
    const isLast = tier === RETRY_TIERS[RETRY_TIERS.length - 1];
    const next: TopicId = isLast ? deadLetterId : `${reader.id}Retry${(tier + 1) as RetryTier}`;
    const nextName = isLast ? deadLetterName : retryTopicName(reader, (tier + 1) as RetryTier);
    return {
      id: `${reader.id}Retry${tier}`,
      name,
      kind: 'retry',
      owner: reader.service,
      consumers: [{ groupId: retryGroupId(reader), service: reader.service, consumerId: reader.id }],
      partitions: retryPartitions,
      replicationFactor: REPLICATION_FACTOR,
      minInsyncReplicas: MIN_INSYNC_REPLICAS,
      retentionMs: RETRY_RETENTION_MS,
      cleanupPolicy: CLEANUP_POLICY,
      partitionKey: PARTITION_KEY_FIELD,
      events,
      rationale:
        `Retry tier ${tier} of ${reader.groupId}: a record that failed with a retryable per-message error waits here ` +
        `until ${retryDelayMs(tier) / 1000} s after it was written, then group ${retryGroupId(reader)} (all tiers of ` +
        `this consumer; each partition waits for its own records only) handles it again; if that fails ` +
        `too it moves on to ${nextName}. Belongs to ${reader.service}, so a retry reaches this consumer only, never the ` +
        `other consumers of the source topic. Keeps the source record's key. Partitions: ` +
        `${describePartitionCalculation(recordsPerOrder, RETRY_TRAFFIC_SHARE)}.`,
      failurePath: { consumerId: reader.id, tier, delayMs: retryDelayMs(tier), next },
      sizedFor: { recordsPerOrder, share: RETRY_TRAFFIC_SHARE },
    };
  });
  const deadLetter: TopicDefinition = {
    id: deadLetterId,
    name: deadLetterName,
    kind: 'dead-letter',
    owner: reader.service,
    consumers: [],
    partitions: DEAD_LETTER_PARTITIONS,
    replicationFactor: REPLICATION_FACTOR,
    minInsyncReplicas: MIN_INSYNC_REPLICAS,
    retentionMs: DEAD_LETTER_RETENTION_MS,
    cleanupPolicy: CLEANUP_POLICY,
    partitionKey: PARTITION_KEY_FIELD,
    events,
    rationale:
      `Dead letters of ${reader.groupId}: records that can never succeed (not JSON, schema-invalid, unknown type or ` +
      `version, a business rule that cannot pass) and records that failed every retry tier, with their original key, ` +
      `value and headers plus the reason headers. No consumer group: the dlt CLI reads it by offset and replays to ` +
      `${retryTopicName(reader, 1)} by default. ${DEAD_LETTER_PARTITIONS} partition: only exceptions arrive here, and ` +
      `one partition keeps them one ordered log. Retention 30 days: time to triage, fix and replay.`,
    failurePath: { consumerId: reader.id },
  };
  return [...retries, deadLetter];
}

/** Every catalog topic: business topics first, then each consumer's retry tiers and dead-letter topic. */
export const TOPICS: readonly TopicDefinition[] = Object.freeze([
  ...BUSINESS_TOPICS,
  ...CONSUMERS.flatMap(failureTopicsOf),
]);

const TOPICS_BY_ID = new Map<string, TopicDefinition>(TOPICS.map((definition) => [definition.id, definition]));
const TOPICS_BY_NAME = new Map<string, TopicDefinition>(TOPICS.map((definition) => [definition.name, definition]));

/** Every catalog topic (same as {@link TOPICS}). */
export function allTopics(): readonly TopicDefinition[] {
  return TOPICS;
}

/** The topic with logical id `id`. */
export function topic(id: TopicId): TopicDefinition {
  const found = TOPICS_BY_ID.get(id);
  if (found === undefined) throw new Error(`no topic ${id} in the catalog`);
  return found;
}

/** The Kafka name of the topic with logical id `id`. */
export function topicName(id: TopicId): string {
  return topic(id).name;
}

/** The catalog topic named `name` (e.g. a consumed record's topic), or `undefined` when it is not in the catalog. */
export function findTopicByName(name: string): TopicDefinition | undefined {
  return TOPICS_BY_NAME.get(name);
}

/** The retry tiers of consumer `consumerId`, in the order a failing record goes through them. */
export function retryTopicsOf(consumerId: ConsumerId): readonly TopicDefinition[] {
  return TOPICS.filter((candidate) => candidate.kind === 'retry' && candidate.failurePath?.consumerId === consumerId);
}

/** The dead-letter topic of consumer `consumerId`. */
export function deadLetterTopicOf(consumerId: ConsumerId): TopicDefinition {
  return topic(`${consumerId}DeadLetter`);
}

/** The topics on which events of type `type` may appear (its business topic and its consumers' failure paths). */
export function topicsCarrying(type: string): readonly TopicDefinition[] {
  return TOPICS.filter((candidate) => (candidate.events as readonly string[]).includes(type));
}

/** The business topics of the catalog (what producers write to through their outbox). */
export function businessTopics(): readonly TopicDefinition[] {
  return BUSINESS_TOPICS;
}

/** One consumer group of the platform. */
export interface ConsumerGroupDefinition {
  /** The group id. */
  readonly groupId: string;
  /** The service that runs it. */
  readonly service: ServiceName;
  /** The consumer it belongs to. */
  readonly consumerId: ConsumerId;
  /** `main` reads the business topics; `retry` drains the consumer's retry tiers. */
  readonly role: 'main' | 'retry';
  /** The topics it reads. */
  readonly topics: readonly TopicId[];
}

/** Every consumer group of the platform: each consumer's main group, then the group of its retry tiers. */
export const CONSUMER_GROUPS: readonly ConsumerGroupDefinition[] = Object.freeze(
  CONSUMERS.flatMap((reader): ConsumerGroupDefinition[] => {
    const tiers = retryTopicsOf(reader.id);
    const main: ConsumerGroupDefinition = {
      groupId: reader.groupId,
      service: reader.service,
      consumerId: reader.id,
      role: 'main',
      topics: reader.sources,
    };
    if (tiers.length === 0) return [main];
    return [
      main,
      {
        groupId: tiers[0]?.consumers[0]?.groupId ?? retryGroupId(reader),
        service: reader.service,
        consumerId: reader.id,
        role: 'retry',
        topics: tiers.map((tier) => tier.id),
      },
    ];
  }),
);

/** Every consumer group id of the platform. */
export function consumerGroupIds(): readonly string[] {
  return CONSUMER_GROUPS.map((group) => group.groupId);
}

/**
 * The topic-level Kafka configuration provisioning applies (`topics apply`). `unclean.leader.election.enable`
 * is pinned to false on every topic: an out-of-sync replica becoming leader would silently drop
 * acknowledged records.
 */
export function kafkaTopicConfig(definition: TopicDefinition): Readonly<Record<string, string>> {
  return {
    'cleanup.policy': definition.cleanupPolicy,
    'retention.ms': String(definition.retentionMs),
    'min.insync.replicas': String(definition.minInsyncReplicas),
    'unclean.leader.election.enable': 'false',
  };
}
