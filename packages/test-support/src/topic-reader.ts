/**
 * Reading topics in tests, each read with its own throwaway consumer group that starts at the beginning
 * of the log and commits nothing, so it never disturbs the groups under test.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createConsumer, type KafkaConsumer, type KafkaRecord } from '@shop/platform';
import { testKafkaConnection } from './infrastructure.ts';
import { uniqueName } from './unique-name.ts';

/** Longest a read waits for its condition before it fails. */
export const READ_TOPIC_TIMEOUT_MS = 30_000;
/** How long a fetch waits for records on the broker: short, so a condition is seen soon after it holds. */
const FETCH_MAX_WAIT_MS = 200;
/** After a follower's stream failed, it starts again this long after. */
const FOLLOWER_RESTART_MS = 500;

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

/** A follower's client and its stream. */
interface Follower {
  consumer: KafkaConsumer;
  stream: Awaited<ReturnType<KafkaConsumer['consume']>>;
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
  const records: KafkaRecord[] = [];
  /** Per partition, the offset after the last record handed on: a restarted follower skips what came before. */
  const next = new Map<number, bigint>();
  let stopped = false;
  let current: Follower | undefined;
  const close = async (follower: Follower) => {
    await follower.stream.close().catch(() => {});
    await follower.consumer.close(true).catch(() => {});
  };
  const start = async (): Promise<void> => {
    const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-follower'));
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: FETCH_MAX_WAIT_MS });
    const follower = { consumer, stream };
    if (stopped) {
      await close(follower);
      return;
    }
    current = follower;
    stream.on('data', (record: KafkaRecord) => {
      if (record.offset < (next.get(record.partition) ?? 0n)) return;
      next.set(record.partition, record.offset + 1n);
      records.push(record);
      try {
        onRecord(record);
      } catch (error) {
        // Thrown outside the stream, so that it fails the test loudly rather than restart the follower.
        process.nextTick(() => {
          throw error;
        });
      }
    });
    // A fetch the broker refuses for a while (a topic just created, on a loaded machine: "Unknown topic")
    // ends the client's stream after its retries. Unhandled, that error failed whichever test was running;
    // the follower starts again from the beginning instead, skipping what it already handed on.
    stream.once('error', () => {
      void (async () => {
        await close(follower);
        while (!stopped) {
          await new Promise((resolve) => setTimeout(resolve, FOLLOWER_RESTART_MS));
          if (stopped) return;
          try {
            await start();
            return;
          } catch {
            // The broker still refuses: try again.
          }
        }
      })();
    });
  };
  await start();
  t.after(async () => {
    stopped = true;
    if (current !== undefined) await close(current);
  });
  return records;
}
