/**
 * Reads a namespaced catalog topic from the beginning and keeps every decoded event, so a test can wait
 * for an event and also assert that nothing else arrived.
 */
import type { TestContext } from 'node:test';
import { type DecodedEvent, decodeRecord, type EventMeta, type TopicId, topicName } from '@shop/contracts';
import { createConsumer, type KafkaNamespace } from '@shop/platform';
import { eventually, followTopic, testKafkaConnection, uniqueName } from '@shop/test-support';

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
  const name = namespace.topic(topicName(topic));
  const events: RecordedEvent[] = [];
  const failures: string[] = [];
  /** Per partition, the offset after the last record read. */
  const read = new Map<number, bigint>();
  await followTopic(t, name, (record) => {
    read.set(record.partition, record.offset + 1n);
    const decoded = decodeRecord(record.value, record.headers, {
      topic: namespace.catalogName(record.topic) ?? record.topic,
      key: record.key ?? null,
    });
    if (!decoded.ok) failures.push(`${decoded.code}: ${decoded.reason}`);
    else events.push({ event: decoded.event, meta: decoded.meta, value: record.value.toString(), key: record.key });
  });
  const forOrder = (orderId: string) => {
    if (failures.length > 0) throw new Error(`undecodable records on ${name}: ${failures.join('; ')}`);
    return events.filter((recorded) => recorded.event.payload.orderId === orderId);
  };
  const caughtUp = async (timeoutMs = 15_000) => {
    const reader = createConsumer(await testKafkaConnection(), uniqueName('test-end-offsets'));
    try {
      const ends = [...((await reader.listOffsets({ topics: [name] })).get(name)?.entries() ?? [])].filter(
        ([, end]) => end > 0n,
      );
      await eventually(
        async () => (ends.every(([partition, end]) => (read.get(partition) ?? 0n) >= end) ? true : undefined),
        timeoutMs,
        `the recorder of ${name} caught up with the log's end`,
      );
    } finally {
      await reader.close(true).catch(() => {});
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
