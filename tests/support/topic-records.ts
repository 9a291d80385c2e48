import type { Message } from '@platformatic/kafka';
import { createAdmin, createConsumer } from '@shop/platform/kafka/clients';
import { testKafkaConnection, uniqueName } from '@shop/platform/testing';

/** A read that has not reached the log's end by then fails: the records it waited for were acknowledged. */
const READ_TIMEOUT_MS = 30_000;

/**
 * Every record in `topic` up to its end offsets as the broker reports them when called (read from the start
 * with a throwaway group that commits nothing). It returns once each partition's position reached that end,
 * never after a quiet period: an assertion that nothing arrived holds for everything acknowledged before the
 * call, so the caller first waits for what must precede a record it expects absent (an offset committed
 * past the work, which the consumer does only after routing its failures).
 */
export async function readTopic(topic: string): Promise<Message<string, Buffer, string, Buffer>[]> {
  const connection = await testKafkaConnection();
  const consumer = createConsumer(connection, uniqueName('test-reader'));
  const admin = createAdmin(connection);
  try {
    const metadata = await consumer.metadata({ topics: [topic] });
    const partitionCount = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const [listed] = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: -1n,
          })),
        },
      ],
    });
    const remaining = new Map<number, bigint>();
    for (const partition of listed?.partitions ?? []) {
      if (partition.offset > 0n) remaining.set(partition.partitionIndex, partition.offset);
    }
    const records: Message<string, Buffer, string, Buffer>[] = [];
    if (remaining.size === 0) return records;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${topic}: the log's end was not reached within ${READ_TIMEOUT_MS} ms`)),
          READ_TIMEOUT_MS,
        );
        stream.on('data', (record: Message<string, Buffer, string, Buffer>) => {
          const end = remaining.get(record.partition);
          if (end === undefined || record.offset >= end) return;
          records.push(record);
          if (record.offset + 1n >= end) remaining.delete(record.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        stream.once('error', reject);
      });
    } finally {
      await stream.close();
    }
    return records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  } finally {
    await admin.close();
    await consumer.close(true);
  }
}
