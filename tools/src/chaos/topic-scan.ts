/**
 * Reads whole topics by partition and offset, from the log start to the end measured when the scan starts,
 * without joining any consumer group: the checker must not move a service's offsets or trigger a rebalance.
 */
import { createConsumer, type KafkaConnection, type KafkaConsumer } from '@shop/platform';

const FETCH_MAX_WAIT_MS = 200;
const FETCH_PARTITION_MAX_BYTES = 4 * 1_048_576;
/** Fetches in a row that may return nothing below the end offset before the scan fails. */
const MAX_EMPTY_FETCHES = 50;
/** Never joined: the scan sends only Metadata, ListOffsets and Fetch. */
const SCAN_CLIENT_GROUP_ID = 'shop-chaos-checker.never-joined';
/** Transaction control batches carry no records (Kafka protocol: attribute bit 5). */
const CONTROL_BATCH_ATTRIBUTE = 0x20;

export interface ScannedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | undefined;
  headers: Map<string, string>;
}

type FetchResponse = Awaited<ReturnType<KafkaConsumer['fetch']>>;

/** Calls `onRecord` for every record of `topics` (each partition in offset order). */
export async function scanTopics(
  connection: KafkaConnection,
  topics: readonly string[],
  onRecord: (record: ScannedRecord) => void,
): Promise<void> {
  if (topics.length === 0) return;
  const consumer = createConsumer(connection, SCAN_CLIENT_GROUP_ID);
  try {
    for (const name of topics) consumer.topics.track(name);
    const metadata = await consumer.metadata({ topics: [...topics], forceUpdate: true });
    const ends = await consumer.listOffsets({ topics: [...topics] });
    const starts = await consumer.listOffsets({ topics: [...topics], timestamp: -2n });
    for (const topic of topics) {
      const topicMetadata = metadata.topics.get(topic);
      if (topicMetadata === undefined) throw new Error(`no metadata for ${topic}`);
      for (let partition = 0; partition < topicMetadata.partitionsCount; partition++) {
        const end = ends.get(topic)?.[partition] ?? 0n;
        let next = starts.get(topic)?.[partition] ?? 0n;
        const leader = topicMetadata.partitions[partition]?.leader ?? -1;
        let empty = 0;
        while (next < end) {
          const response: FetchResponse = await consumer.fetch({
            node: leader,
            maxWaitTime: FETCH_MAX_WAIT_MS,
            topics: [
              {
                topicId: topicMetadata.id,
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
          const before = next;
          for (const topicResponse of response.responses) {
            for (const partitionResponse of topicResponse.partitions) {
              if (partitionResponse.partitionIndex !== partition) continue;
              if (partitionResponse.errorCode !== 0) {
                throw new Error(`${topic}/${partition}: broker error ${partitionResponse.errorCode}`);
              }
              for (const batch of partitionResponse.records ?? []) {
                const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
                if ((batch.attributes & CONTROL_BATCH_ATTRIBUTE) === 0) {
                  for (const record of batch.records) {
                    const offset = batch.firstOffset + BigInt(record.offsetDelta);
                    if (offset < next || offset >= end) continue;
                    const headers = new Map<string, string>();
                    for (const [name, value] of record.headers) {
                      if (name !== null) headers.set(name.toString('utf8'), value?.toString('utf8') ?? '');
                    }
                    onRecord({ topic, partition, offset, key: record.key?.toString('utf8'), headers });
                  }
                }
                if (batchEnd > next) next = batchEnd;
              }
            }
          }
          if (next === before) {
            empty++;
            if (empty >= MAX_EMPTY_FETCHES)
              throw new Error(`${topic}/${partition}: nothing returned at offset ${next} (end ${end})`);
          } else {
            empty = 0;
          }
        }
      }
    }
  } finally {
    await consumer.close();
  }
}
