/**
 * Reading topics in tests, each read with its own throwaway consumer group that starts at the beginning
 * of the log and commits nothing, so it never disturbs the groups under test.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createConsumer, type KafkaRecord } from '@shop/platform';
import { testKafkaConnection } from './infrastructure.ts';
import { uniqueName } from './unique-name.ts';

/** Longest a read waits for its condition before it fails. */
export const READ_TOPIC_TIMEOUT_MS = 30_000;
/** How long a fetch waits for records on the broker: short, so a condition is seen soon after it holds. */
const FETCH_MAX_WAIT_MS = 200;

/**
 * When a read is complete: once it holds this many records, once the predicate holds for the records read
 * so far, or `'end'`: once it has read every record the topics held when the read began (the way to assert
 * that something was not written, after whatever would have written it has happened).
 */
export type ReadUntil = number | ((records: readonly KafkaRecord[]) => boolean) | 'end';

export interface ReadTopicOptions {
  /** Default: READ_TOPIC_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * Reads `topics` from the start until `until` holds, and returns the records in the order read (per
 * partition: log order). Fails with the number of records read when `until` does not hold within the
 * timeout; it never returns "whatever had arrived by then".
 */
export async function readTopic(
  topics: string | readonly string[],
  until: ReadUntil,
  options: ReadTopicOptions = {},
): Promise<KafkaRecord[]> {
  const names = typeof topics === 'string' ? [topics] : [...topics];
  const timeoutMs = options.timeoutMs ?? READ_TOPIC_TIMEOUT_MS;
  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-reader'));
  try {
    const done = until === 'end' ? await readsToEnd(consumer, names) : completion(until);
    const records: KafkaRecord[] = [];
    if (done(records)) return records;
    const stream = await consumer.consume({ topics: names, mode: 'earliest', maxWaitTime: FETCH_MAX_WAIT_MS });
    const timer = setTimeout(() => stream.close().catch(() => {}), timeoutMs);
    try {
      for await (const record of stream) {
        records.push(record);
        if (done(records)) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close().catch(() => {});
    }
    assert.ok(done(records), `${records.length} records read from ${names.join(', ')} in ${timeoutMs} ms`);
    return records;
  } finally {
    await consumer.close(true).catch(() => {});
  }
}

function completion(until: number | ((records: readonly KafkaRecord[]) => boolean)) {
  return typeof until === 'number' ? (records: readonly KafkaRecord[]) => records.length >= until : until;
}

/** A condition that holds once every partition has been read up to its end offset as of now. */
async function readsToEnd(consumer: ReturnType<typeof createConsumer>, names: readonly string[]) {
  const ends = await consumer.listOffsets({ topics: [...names] });
  const remaining = new Map<string, bigint>();
  for (const [topic, offsets] of ends) {
    for (const [partition, end] of offsets.entries()) {
      if (end > 0n) remaining.set(`${topic}/${partition}`, end - 1n);
    }
  }
  return (records: readonly KafkaRecord[]) => {
    const last = records.at(-1);
    if (last !== undefined) {
      const key = `${last.topic}/${last.partition}`;
      const lastOffset = remaining.get(key);
      if (lastOffset !== undefined && last.offset >= lastOffset) remaining.delete(key);
    }
    return remaining.size === 0;
  };
}

/**
 * Follows `topic` from the start for the rest of the test: every record is appended to the returned
 * array as it arrives (and given to `onRecord`, which may throw to fail loudly on a bad record). Wait on
 * the array with `eventually`. The consumer is closed after the test.
 */
export async function followTopic(
  t: TestContext,
  topic: string,
  onRecord: (record: KafkaRecord) => void = () => {},
): Promise<KafkaRecord[]> {
  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-follower'));
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: FETCH_MAX_WAIT_MS });
  const records: KafkaRecord[] = [];
  stream.on('data', (record: KafkaRecord) => {
    records.push(record);
    onRecord(record);
  });
  t.after(async () => {
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  });
  return records;
}
