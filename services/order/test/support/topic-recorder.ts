/**
 * Reads a namespaced catalog topic from the beginning and keeps every decoded event, so a test can wait
 * for an event and also assert that nothing else arrived.
 */
import type { TestContext } from 'node:test';
import { type DecodedEvent, decodeRecord, type EventMeta, type TopicId, topicName } from '@shop/contracts';
import { createAdmin, createConsumer, type KafkaConsumer } from '@shop/platform/kafka/clients';
import type { KafkaNamespace } from '@shop/platform/kafka/namespace';
import { eventually, testKafkaConnection, uniqueName } from '@shop/platform/testing';

export interface RecordedEvent {
  readonly event: DecodedEvent;
  readonly meta: EventMeta;
  /** The record's value exactly as published (to check what it does not contain). */
  readonly value: string;
  readonly key: string | undefined;
}

export interface TopicRecorder {
  readonly events: readonly RecordedEvent[];
  /** Events whose payload is about `orderId`. */
  forOrder(orderId: string): RecordedEvent[];
  /** Waits until `count` events about `orderId` arrived and returns them. */
  waitForOrder(orderId: string, count?: number, timeoutMs?: number): Promise<RecordedEvent[]>;
  /**
   * Resolves once the recorder has read every record the topic held when called (up to its end offsets):
   * after it, an event acknowledged before the call that is not in `events` was never published.
   */
  caughtUp(timeoutMs?: number): Promise<void>;
}

export async function recordTopic(t: TestContext, namespace: KafkaNamespace, topic: TopicId): Promise<TopicRecorder> {
  const consumer: KafkaConsumer = createConsumer(await testKafkaConnection(), uniqueName('test-recorder'));
  const name = namespace.topic(topicName(topic));
  const stream = await consumer.consume({ topics: [name], mode: 'earliest', maxWaitTime: 100 });
  const events: RecordedEvent[] = [];
  const failures: string[] = [];
  /** Per partition, the offset after the last record read. */
  const read = new Map<number, bigint>();
  stream.on('data', (record) => {
    read.set(record.partition, record.offset + 1n);
    const decoded = decodeRecord(record.value, record.headers, {
      topic: namespace.catalogName(record.topic) ?? record.topic,
      key: record.key ?? null,
    });
    if (!decoded.ok) failures.push(`${decoded.code}: ${decoded.reason}`);
    else events.push({ event: decoded.event, meta: decoded.meta, value: record.value.toString(), key: record.key });
  });
  t.after(async () => {
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  });
  const forOrder = (orderId: string) => {
    if (failures.length > 0) throw new Error(`undecodable records on ${name}: ${failures.join('; ')}`);
    return events.filter((recorded) => recorded.event.payload.orderId === orderId);
  };
  const caughtUp = async (timeoutMs = 15_000) => {
    const admin = createAdmin(await testKafkaConnection());
    try {
      const metadata = await consumer.metadata({ topics: [name] });
      const partitionCount = metadata.topics.get(name)?.partitionsCount ?? 0;
      const [listed] = await admin.listOffsets({
        topics: [
          {
            name,
            partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({
              partitionIndex,
              timestamp: -1n,
            })),
          },
        ],
      });
      const ends = (listed?.partitions ?? []).filter((partition) => partition.offset > 0n);
      await eventually(
        async () => (ends.every((end) => (read.get(end.partitionIndex) ?? 0n) >= end.offset) ? true : undefined),
        timeoutMs,
        `the recorder of ${name} caught up with the log's end`,
      );
    } finally {
      await admin.close();
    }
  };
  return {
    events,
    forOrder,
    caughtUp,
    waitForOrder: (orderId, count = 1, timeoutMs = 15_000) =>
      eventually(
        async () => {
          const found = forOrder(orderId);
          return found.length >= count ? found : undefined;
        },
        timeoutMs,
        `${count} event(s) for order ${orderId} on ${name}`,
      ),
  };
}
