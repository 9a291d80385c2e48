import {
  CONSUMER_GROUPS,
  CONSUMERS,
  type ConsumerId,
  deadLetterTopicOf,
  FAILURE_HEADERS,
  findTopicByName,
  TOPICS,
  type TopicDefinition,
} from '@shop/contracts';
import type { KafkaNamespace } from '@shop/platform';
import { type DeadLetter, eventIdOf, headerText, orderIdOf } from './dead-letter.ts';
import { dltError } from './errors.ts';
import { parseTimeBound } from './relative-time.ts';

/** The filters `list`, `show` and `replay` share, as given on the command line. Every one is optional. */
export interface DltFilterOptions {
  /** Source topic the record was first consumed from: catalog id (`orderPlaced`) or name. Default: any. */
  source?: string;
  /** Consumer whose dead letters to read: catalog id (`reserveStock`) or any of its group ids. Default: all. */
  consumer?: string;
  /** Error code(s), comma-separated (`CTR_NOT_JSON,INV_X`). Default: any. */
  code?: string;
  /** Dead-lettered at or after: ISO 8601 or relative (`2h`). Default: no bound. */
  since?: string;
  /** Dead-lettered before: ISO 8601 or relative. Default: no bound. */
  until?: string;
  /** Record key. Default: any. */
  key?: string;
  /** Order id: matches the key or the payload's `orderId`. Default: any. */
  orderId?: string;
  /** Event id (`event-id` header). Default: any. */
  eventId?: string;
  /** Partition of the dead-letter topic. Default: any. */
  partition?: number;
  /** Offset in the dead-letter topic. Default: any. */
  offset?: bigint;
}

/** The resolved filter: catalog references checked and namespaced, times as ms since epoch. */
export interface DltFilter {
  /** The consumers whose dead-letter topics are read. Never empty. */
  readonly consumers: readonly ConsumerId[];
  /** Namespaced source topic name, compared with the `failure-original-topic` header. */
  readonly sourceTopic?: string;
  readonly errorCodes?: readonly string[];
  /** Inclusive lower bound of the dead-letter record's timestamp. */
  readonly since?: number;
  /** Exclusive upper bound of the dead-letter record's timestamp. */
  readonly until?: number;
  readonly key?: string;
  readonly orderId?: string;
  readonly eventId?: string;
  readonly partition?: number;
  readonly offset?: bigint;
}

/**
 * The consumer a command-line name refers to: its catalog id, its main group id or one of its retry-tier
 * group ids, with or without the namespace prefix.
 */
export function resolveConsumer(name: string, namespace: KafkaNamespace): ConsumerId {
  const bare =
    namespace.prefix !== '' && name.startsWith(`${namespace.prefix}.`) ? name.slice(namespace.prefix.length + 1) : name;
  const byId = CONSUMERS.find((candidate) => candidate.id === bare);
  if (byId !== undefined) return byId.id;
  const byGroup = CONSUMER_GROUPS.find((group) => group.groupId === bare);
  if (byGroup !== undefined) return byGroup.consumerId;
  throw dltError('DLT_UNKNOWN_CONSUMER', `no consumer "${name}" in the catalog`, {
    hint: `Use a consumer id (${CONSUMERS.map((candidate) => candidate.id).join(', ')}) or a group id such as ${CONSUMERS[0]?.groupId}.`,
  });
}

/** A catalog topic named by its logical id or its name (with or without the namespace prefix). */
export function resolveCatalogTopic(name: string, namespace: KafkaNamespace): TopicDefinition | undefined {
  const byId = TOPICS.find((candidate) => candidate.id === name);
  if (byId !== undefined) return byId;
  return findTopicByName(namespace.catalogName(name) ?? name) ?? findTopicByName(name);
}

function resolveSource(name: string, namespace: KafkaNamespace): TopicDefinition {
  const found = resolveCatalogTopic(name, namespace);
  if (found === undefined || (found.kind !== 'event' && found.kind !== 'command')) {
    throw dltError('DLT_UNKNOWN_TOPIC', `"${name}" is not a business topic of the catalog`, {
      hint: 'A source topic is where the record was first consumed from, e.g. orderPlaced or its topic name.',
    });
  }
  return found;
}

/** Checks and resolves the command-line filters. `now` anchors relative times. */
export function buildFilter(options: DltFilterOptions, namespace: KafkaNamespace, now: number): DltFilter {
  const source = options.source === undefined ? undefined : resolveSource(options.source, namespace);
  let consumers: ConsumerId[] = CONSUMERS.map((candidate) => candidate.id);
  if (options.consumer !== undefined) consumers = [resolveConsumer(options.consumer, namespace)];
  if (source !== undefined) {
    const readers = new Set(source.consumers.map((reader) => reader.consumerId));
    consumers = consumers.filter((candidate) => readers.has(candidate));
    if (consumers.length === 0) {
      throw dltError('DLT_INVALID_OPTION', `consumer ${options.consumer} does not read ${source.id}`, {
        hint: `${source.id} is read by ${[...readers].join(', ') || 'no consumer'}.`,
      });
    }
  }
  if ((options.offset !== undefined || options.partition !== undefined) && consumers.length > 1) {
    // Offsets are per topic: without one dead-letter topic they would pick a record from each.
    throw dltError('DLT_INVALID_OPTION', '--offset and --partition need one consumer', {
      hint: 'Add --consumer <id> (or a --source only one consumer reads).',
    });
  }
  const since = options.since === undefined ? undefined : parseTimeBound(options.since, now);
  const until = options.until === undefined ? undefined : parseTimeBound(options.until, now);
  if (since !== undefined && until !== undefined && since >= until) {
    throw dltError('DLT_INVALID_OPTION', `--since (${new Date(since).toISOString()}) is not before --until`);
  }
  const codes = options.code
    ?.split(',')
    .map((code) => code.trim())
    .filter((code) => code !== '');
  return {
    consumers,
    ...(source === undefined ? {} : { sourceTopic: namespace.topic(source.name) }),
    ...(codes === undefined || codes.length === 0 ? {} : { errorCodes: codes }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.orderId === undefined ? {} : { orderId: options.orderId }),
    ...(options.eventId === undefined ? {} : { eventId: options.eventId }),
    ...(options.partition === undefined ? {} : { partition: options.partition }),
    ...(options.offset === undefined ? {} : { offset: options.offset }),
  };
}

/** The dead-letter topics a filter reads, namespaced, with their consumer. */
export function deadLetterTopicsOf(
  filter: Pick<DltFilter, 'consumers'>,
  namespace: KafkaNamespace,
): { consumerId: ConsumerId; topic: string }[] {
  return filter.consumers.map((consumerId) => ({
    consumerId,
    topic: namespace.topic(deadLetterTopicOf(consumerId).name),
  }));
}

/** Whether a dead letter passes every given filter. */
export function matchesFilter(record: DeadLetter, filter: DltFilter): boolean {
  if (!filter.consumers.includes(record.consumerId)) return false;
  if (filter.partition !== undefined && record.partition !== filter.partition) return false;
  if (filter.offset !== undefined && record.offset !== filter.offset) return false;
  if (filter.since !== undefined && record.timestamp < filter.since) return false;
  if (filter.until !== undefined && record.timestamp >= filter.until) return false;
  if (filter.sourceTopic !== undefined && headerText(record, FAILURE_HEADERS.originalTopic) !== filter.sourceTopic)
    return false;
  if (filter.errorCodes !== undefined) {
    const code = headerText(record, FAILURE_HEADERS.errorCode);
    if (code === undefined || !filter.errorCodes.includes(code)) return false;
  }
  if (filter.key !== undefined && record.key !== filter.key) return false;
  if (filter.orderId !== undefined && record.key !== filter.orderId && orderIdOf(record) !== filter.orderId)
    return false;
  if (filter.eventId !== undefined && eventIdOf(record) !== filter.eventId) return false;
  return true;
}

/** One line saying what a filter selects, for the top of a replay summary and the audit. */
export function describeFilter(filter: DltFilter): string {
  const parts = [`consumers=${filter.consumers.join(',')}`];
  if (filter.sourceTopic !== undefined) parts.push(`source=${filter.sourceTopic}`);
  if (filter.errorCodes !== undefined) parts.push(`code=${filter.errorCodes.join(',')}`);
  if (filter.since !== undefined) parts.push(`since=${new Date(filter.since).toISOString()}`);
  if (filter.until !== undefined) parts.push(`until=${new Date(filter.until).toISOString()}`);
  if (filter.key !== undefined) parts.push(`key=${filter.key}`);
  if (filter.orderId !== undefined) parts.push(`order-id=${filter.orderId}`);
  if (filter.eventId !== undefined) parts.push(`event-id=${filter.eventId}`);
  if (filter.partition !== undefined) parts.push(`partition=${filter.partition}`);
  if (filter.offset !== undefined) parts.push(`offset=${filter.offset}`);
  return parts.join(' ');
}
