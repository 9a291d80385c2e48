import type { ConsumerId } from '@shop/contracts';
import { createAdmin, createConsumer, type KafkaAdmin, type KafkaConnection, type KafkaConsumer } from '@shop/platform';
import type { DeadLetter } from './dead-letter.ts';
import { dltError } from './errors.ts';

/** Longest one fetch waits on the broker; the reader never fetches past the end it measured, so this rarely applies. */
export const FETCH_MAX_WAIT_MS = 200;
/** Bytes per partition per fetch; a larger batch is still returned whole by the broker (KIP-74). */
export const FETCH_PARTITION_MAX_BYTES = 1_048_576;
/**
 * Fetches in a row that may return nothing before the reader gives up on a partition that should still
 * have records below its end offset (a broker that keeps answering empty is a fault, not a slow topic).
 */
export const MAX_EMPTY_FETCHES = 20;
/**
 * Group id the reader's client is constructed with. @platformatic/kafka requires one for a Consumer, but
 * the reader only sends Metadata, ListOffsets and Fetch requests: it never calls consume(), joinGroup() or
 * commit(), so no group of this name ever exists on the broker (a test asserts it).
 */
export const READER_CLIENT_GROUP_ID = 'shop-dlt-reader.never-joined';
/** Batch attribute bit of transaction control batches (Kafka protocol: bit 5); they carry no records. */
const CONTROL_BATCH_ATTRIBUTE = 0x20;

/** A dead-letter topic to read and the consumer it belongs to. */
export interface DeadLetterTopic {
  consumerId: ConsumerId;
  /** Namespaced topic name. */
  topic: string;
}

export interface ReadOptions {
  /** Start each partition at the first record written at or after this time (ms since epoch). Default: the log start. */
  since?: number;
}

type FetchResponse = Awaited<ReturnType<KafkaConsumer['fetch']>>;

/**
 * Reads dead-letter topics by partition and offset, without any consumer group: nothing is joined and
 * nothing is committed, so reading (and replaying) can never move a service's committed offsets or
 * trigger a rebalance of its group. Each read stops at the end offsets measured when it starts, so records
 * that arrive meanwhile (a replayed record failing again) are left for the next run instead of being read
 * (and replayed) in a loop.
 */
export class DeadLetterReader {
  readonly #consumer: KafkaConsumer;
  readonly #admin: KafkaAdmin;

  constructor(connection: KafkaConnection) {
    this.#consumer = createConsumer(connection, READER_CLIENT_GROUP_ID);
    this.#admin = createAdmin(connection);
  }

  /**
   * Fails fast, naming them, when topics are missing: a metadata request for an unknown topic is retried
   * by the client for half a minute before it gives up, with a less helpful error.
   */
  async #checkExist(names: readonly string[]): Promise<void> {
    const existing = new Set(await this.#admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      throw dltError('DLT_READ_FAILED', `no such topic: ${missing.join(', ')}`, {
        hint: 'Check --namespace (default $KAFKA_NAMESPACE) and KAFKA_BOOTSTRAP_SERVERS; topics come from `npm run topics:apply`.',
      });
    }
  }

  /** The records of `topics`, topic by topic, each partition in offset order. */
  async *read(topics: readonly DeadLetterTopic[], options: ReadOptions = {}): AsyncGenerator<DeadLetter> {
    if (topics.length === 0) return;
    const names = topics.map((entry) => entry.topic);
    await this.#checkExist(names);
    for (const name of names) this.#consumer.topics.track(name);
    const metadata = await this.#consumer.metadata({ topics: names }).catch((error: unknown) => {
      throw dltError('DLT_READ_FAILED', `cannot read the metadata of ${names.join(', ')}`, {
        cause: error,
        hint: 'Check KAFKA_BOOTSTRAP_SERVERS and --namespace; the topics come from `npm run topics:apply`.',
      });
    });
    const ends = await this.#consumer.listOffsets({ topics: names });
    const starts = await this.#consumer.listOffsets({ topics: names, timestamp: -2n });
    const fromTime =
      options.since === undefined
        ? undefined
        : await this.#consumer.listOffsetsWithTimestamps({ topics: names, timestamp: BigInt(options.since) });
    for (const { consumerId, topic } of topics) {
      const topicMetadata = metadata.topics.get(topic);
      if (topicMetadata === undefined) throw dltError('DLT_READ_FAILED', `no metadata for ${topic}`);
      for (let partition = 0; partition < topicMetadata.partitionsCount; partition++) {
        const end = ends.get(topic)?.[partition] ?? 0n;
        let start = starts.get(topic)?.[partition] ?? 0n;
        const atTime = fromTime?.get(topic)?.get(partition)?.offset;
        // -1: no record at or after `since` in this partition.
        if (atTime !== undefined) start = atTime < 0n ? end : atTime > start ? atTime : start;
        const leader = topicMetadata.partitions[partition]?.leader ?? -1;
        yield* this.#readPartition({ consumerId, topic, topicId: topicMetadata.id, partition, leader, start, end });
      }
    }
  }

  async *#readPartition(range: {
    consumerId: ConsumerId;
    topic: string;
    topicId: string;
    partition: number;
    leader: number;
    start: bigint;
    end: bigint;
  }): AsyncGenerator<DeadLetter> {
    const { consumerId, topic, topicId, partition } = range;
    let next = range.start;
    let emptyFetches = 0;
    while (next < range.end) {
      let response: FetchResponse;
      try {
        response = await this.#consumer.fetch({
          node: range.leader,
          maxWaitTime: FETCH_MAX_WAIT_MS,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partition,
                  fetchOffset: next,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: FETCH_PARTITION_MAX_BYTES,
                },
              ],
            },
          ],
        });
      } catch (error) {
        throw dltError('DLT_READ_FAILED', `fetching ${topic}/${partition} at offset ${next} failed`, { cause: error });
      }
      const before = next;
      for (const topicResponse of response.responses) {
        for (const partitionResponse of topicResponse.partitions) {
          if (partitionResponse.partitionIndex !== partition) continue;
          if (partitionResponse.errorCode !== 0) {
            throw dltError('DLT_READ_FAILED', `${topic}/${partition}: broker error ${partitionResponse.errorCode}`);
          }
          for (const batch of partitionResponse.records ?? []) {
            const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
            if ((batch.attributes & CONTROL_BATCH_ATTRIBUTE) === 0) {
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                // A batch may start before the requested offset, and the last one may reach past the end.
                if (offset < next || offset >= range.end) continue;
                yield toDeadLetter(consumerId, topic, partition, offset, batch.firstTimestamp, record);
              }
            }
            if (batchEnd > next) next = batchEnd;
          }
        }
      }
      if (next === before) {
        emptyFetches++;
        if (emptyFetches >= MAX_EMPTY_FETCHES) {
          throw dltError(
            'DLT_READ_FAILED',
            `${topic}/${partition}: no records returned at offset ${next} (end ${range.end}) after ${emptyFetches} fetches`,
          );
        }
      } else {
        emptyFetches = 0;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#consumer.close(), this.#admin.close()]);
  }
}

type RawRecord = {
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
};

function toDeadLetter(
  consumerId: ConsumerId,
  topic: string,
  partition: number,
  offset: bigint,
  firstTimestamp: bigint,
  record: RawRecord,
): DeadLetter {
  const headers = new Map<string, Buffer>();
  for (const [name, value] of record.headers) {
    // A null header value is kept as empty bytes: the producer API cannot send a null header value.
    if (name !== null) headers.set(name.toString('utf8'), value ?? Buffer.alloc(0));
  }
  return {
    consumerId,
    topic,
    partition,
    offset,
    timestamp: Number(firstTimestamp + record.timestampDelta),
    key: record.key === null ? undefined : record.key.toString('utf8'),
    value: record.value ?? undefined,
    headers,
  };
}
