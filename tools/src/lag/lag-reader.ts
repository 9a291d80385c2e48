import { CONSUMER_GROUPS, topicName } from '@shop/contracts';
import {
  createAdmin,
  createConsumer,
  type KafkaAdmin,
  type KafkaConnection,
  type KafkaConsumer,
  type KafkaNamespace,
} from '@shop/platform';
import { lagError } from './errors.ts';

/** ListOffsets timestamps of the Kafka protocol: the log-end offset and the log-start offset. */
const LATEST_OFFSET = -1n;
const EARLIEST_OFFSET = -2n;
/** Longest a single-record fetch waits on the broker; the record is below the end offset, so rarely applies. */
export const FETCH_MAX_WAIT_MS = 200;
/**
 * Bytes asked per partition when fetching the first unconsumed record. The broker still returns the first
 * batch whole however small this is (KIP-74), and that batch holds the record: we want nothing more.
 */
export const FIRST_RECORD_MAX_BYTES = 1;
/**
 * Group id the reader's client is constructed with. @platformatic/kafka requires one for a Consumer, but the
 * reader only sends Metadata and Fetch requests: it never joins or commits, so this group never exists.
 */
export const READER_CLIENT_GROUP_ID = 'shop-lag-reader.never-joined';
/** Batch attribute bit of transaction control batches (Kafka protocol: bit 5); they carry no records. */
const CONTROL_BATCH_ATTRIBUTE = 0x20;

/**
 * How `timeLagMs` was found:
 * - `record`     now − timestamp of the record at the committed offset (the first unconsumed one).
 * - `caught-up`  lag is 0: nothing waits, time lag 0.
 * - `log-start`  the record at the committed offset was deleted by retention; now − timestamp of the first
 *                record still in the log, a lower bound of the true time lag.
 * - `none`       the group never committed this partition: no lag (kafka-consumer-groups prints '-').
 * - `unreadable` the record could not be fetched (broker error); no time lag.
 */
export type TimeLagSource = 'record' | 'caught-up' | 'log-start' | 'none' | 'unreadable';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Undefined when the group never committed this partition. */
  committedOffset: bigint | undefined;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** logEnd − committed; undefined without a commit. */
  lag: bigint | undefined;
  timeLagMs: number | undefined;
  timeLagSource: TimeLagSource;
}

export interface GroupLag {
  group: string;
  /** Group state from DescribeGroups (Stable, Empty, Dead, ...). */
  state: string;
  members: number;
  /** Sorted by topic, then partition. */
  partitions: PartitionLag[];
  /** ms since epoch when the offsets were read; time lags are measured against it. */
  readAt: number;
  /** Set when the group's offsets could not be read (status ERR); then `partitions` is empty. */
  error?: string;
}

/** A group to read and the topics it is expected to consume (namespaced names). */
export interface GroupTopics {
  group: string;
  topics: readonly string[];
}

/** Every catalog consumer group (main and retry tiers), namespaced, with the topics it reads. */
export function catalogGroups(namespace: KafkaNamespace): GroupTopics[] {
  return CONSUMER_GROUPS.map((definition) => ({
    group: namespace.group(definition.groupId),
    topics: definition.topics.map((id) => namespace.topic(topicName(id))),
  }));
}

/**
 * Reads consumer lag the way `kafka-consumer-groups --describe` computes it (committed offsets from the
 * group coordinator, log-end offsets from the partition leaders, read-uncommitted), plus the time lag read
 * from the log. It never joins a group and never commits: reading cannot move anybody's offsets nor
 * trigger a rebalance.
 */
export class LagReader {
  readonly #admin: KafkaAdmin;
  readonly #consumer: KafkaConsumer;
  readonly #now: () => number;

  constructor(connection: KafkaConnection, options: { now?: () => number } = {}) {
    this.#admin = createAdmin(connection);
    this.#consumer = createConsumer(connection, READER_CLIENT_GROUP_ID);
    this.#now = options.now ?? Date.now;
  }

  /** Lag of each group; a group whose offsets cannot be read comes back with `error`, the others still read. */
  async read(groups: readonly GroupTopics[]): Promise<GroupLag[]> {
    const existing = new Set(await this.#admin.listTopics());
    const described = await this.#describe(groups.map((entry) => entry.group));
    const results: GroupLag[] = [];
    for (const entry of groups) {
      const info = described.get(entry.group) ?? { state: 'Unknown', members: 0 };
      try {
        results.push(await this.#readGroup(entry, info, existing));
      } catch (error) {
        results.push({
          group: entry.group,
          ...info,
          partitions: [],
          readAt: this.#now(),
          error: (error as Error).message,
        });
      }
    }
    return results;
  }

  async #describe(groups: readonly string[]): Promise<Map<string, { state: string; members: number }>> {
    const result = new Map<string, { state: string; members: number }>();
    if (groups.length === 0) return result;
    try {
      const described = await this.#admin.describeGroups({ groups: [...groups] });
      for (const [id, group] of described) result.set(id, { state: group.state, members: group.members.size });
    } catch {
      // State and members are decoration; lag is still read. Unknown state shows as 'Unknown'.
    }
    return result;
  }

  async #readGroup(
    entry: GroupTopics,
    info: { state: string; members: number },
    existing: ReadonlySet<string>,
  ): Promise<GroupLag> {
    const [offsets] = await this.#admin.listConsumerGroupOffsets({ groups: [entry.group] });
    const committed = new Map<string, bigint>();
    for (const topic of offsets?.topics ?? []) {
      for (const partition of topic.partitions) {
        // -1: no committed offset for this partition.
        if (partition.committedOffset >= 0n)
          committed.set(`${topic.name}/${partition.partitionIndex}`, partition.committedOffset);
      }
    }
    const topics = [...new Set([...entry.topics, ...(offsets?.topics ?? []).map((topic) => topic.name)])]
      .filter((name) => existing.has(name))
      .sort();
    if (topics.length === 0) return { group: entry.group, ...info, partitions: [], readAt: this.#now() };
    const metadata = await this.#consumer.metadata({ topics });
    const request = topics.map((name) => ({
      name,
      partitionCount: metadata.topics.get(name)?.partitionsCount ?? 0,
    }));
    const ends = await this.#listOffsets(request, LATEST_OFFSET);
    const starts = await this.#listOffsets(request, EARLIEST_OFFSET);
    const readAt = this.#now();
    const partitions: PartitionLag[] = [];
    for (const { name, partitionCount } of request) {
      for (let partition = 0; partition < partitionCount; partition++) {
        const key = `${name}/${partition}`;
        const committedOffset = committed.get(key);
        const logEndOffset = ends.get(key);
        const logStartOffset = starts.get(key);
        // Never a made-up 0: an empty log reads as idle (OK), so an offset the broker did not give is an error.
        if (logEndOffset === undefined || logStartOffset === undefined) {
          throw lagError('LAG_READ_FAILED', `${key}: the broker returned no log-start or log-end offset`);
        }
        // Like kafka-consumer-groups: a commit above the end (a truncated log) shows lag 0, never negative.
        const lag =
          committedOffset === undefined
            ? undefined
            : logEndOffset > committedOffset
              ? logEndOffset - committedOffset
              : 0n;
        partitions.push({
          topic: name,
          partition,
          committedOffset,
          logStartOffset,
          logEndOffset,
          lag,
          ...(await this.#timeLag(name, partition, committedOffset, lag, logStartOffset, readAt, metadata)),
        });
      }
    }
    return { group: entry.group, ...info, partitions, readAt };
  }

  async #listOffsets(
    topics: readonly { name: string; partitionCount: number }[],
    timestamp: bigint,
  ): Promise<Map<string, bigint>> {
    const listed = await this.#admin.listOffsets({
      topics: topics.map(({ name, partitionCount }) => ({
        name,
        partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
      })),
    });
    const result = new Map<string, bigint>();
    for (const topic of listed) {
      for (const partition of topic.partitions)
        result.set(`${topic.name}/${partition.partitionIndex}`, partition.offset);
    }
    return result;
  }

  async #timeLag(
    topic: string,
    partition: number,
    committedOffset: bigint | undefined,
    lag: bigint | undefined,
    logStartOffset: bigint,
    readAt: number,
    metadata: Awaited<ReturnType<KafkaConsumer['metadata']>>,
  ): Promise<{ timeLagMs: number | undefined; timeLagSource: TimeLagSource }> {
    if (committedOffset === undefined || lag === undefined) return { timeLagMs: undefined, timeLagSource: 'none' };
    if (lag === 0n) return { timeLagMs: 0, timeLagSource: 'caught-up' };
    const deleted = committedOffset < logStartOffset;
    const offset = deleted ? logStartOffset : committedOffset;
    // One unreadable record must not hide the offsets of every other partition: it is reported as
    // 'unreadable' (shown '?', no lag_seconds sample), never as a made-up time.
    const timestamp = await this.#recordTimestamp(topic, partition, offset, metadata).catch(() => undefined);
    if (timestamp === undefined) return { timeLagMs: undefined, timeLagSource: 'unreadable' };
    // A producer clock ahead of ours would give a negative lag; a record from the future is not late.
    return { timeLagMs: Math.max(0, readAt - timestamp), timeLagSource: deleted ? 'log-start' : 'record' };
  }

  /** Timestamp of the first record at or after `offset`, fetched by partition and offset. */
  async #recordTimestamp(
    topic: string,
    partition: number,
    offset: bigint,
    metadata: Awaited<ReturnType<KafkaConsumer['metadata']>>,
  ): Promise<number | undefined> {
    const topicMetadata = metadata.topics.get(topic);
    if (topicMetadata === undefined) return undefined;
    const response = await this.#consumer.fetch({
      node: topicMetadata.partitions[partition]?.leader ?? -1,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      topics: [
        {
          topicId: topicMetadata.id,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: FIRST_RECORD_MAX_BYTES,
            },
          ],
        },
      ],
    });
    for (const topicResponse of response.responses) {
      for (const partitionResponse of topicResponse.partitions) {
        if (partitionResponse.partitionIndex !== partition) continue;
        if (partitionResponse.errorCode !== 0) {
          throw lagError('LAG_READ_FAILED', `${topic}/${partition}: broker error ${partitionResponse.errorCode}`);
        }
        for (const batch of partitionResponse.records ?? []) {
          if ((batch.attributes & CONTROL_BATCH_ATTRIBUTE) !== 0) continue;
          for (const record of batch.records) {
            // The batch may start before the committed offset; the first record at or after it is the one.
            if (batch.firstOffset + BigInt(record.offsetDelta) >= offset) {
              return Number(batch.firstTimestamp + record.timestampDelta);
            }
          }
        }
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.#admin.close(), this.#consumer.close()]);
  }
}
