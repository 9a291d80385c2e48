/** What the outbox relay tests share: a migrated database, a topic, a producer, rows to append. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Message } from '@platformatic/kafka';
import { createTestDatabase, createTestTopics, type TestDatabase, testKafkaConnection } from '@shop/test-support';
import { migrate } from '../../src/db/migrate.ts';
import { createProducer, type KafkaProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/outbox/outbox-relay.ts';
import type { OutboxMessage } from '../../src/outbox/outbox-writer.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

export const logger = createLogger({ service: 'test', level: 'silent' });
export type Record = Message<string, Buffer, string, Buffer>;

export function message(topic: string, key: string, value: string): OutboxMessage {
  const eventId = randomUUID();
  return { eventId, eventType: 'TestEvent', topic, key, payload: Buffer.from(value), headers: { 'event-id': eventId } };
}

export async function setup(t: TestContext, partitions = 3) {
  const db = await createTestDatabase(t, 'outbox');
  await migrate(db.pool, [platformMigrations]);
  const [topic] = await createTestTopics(t, ['outbox'], { partitions });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  return { db, topic, producer };
}

export function relay(
  db: TestDatabase,
  producer: KafkaProducer,
  pollIntervalMs = 100,
  options: Partial<OutboxRelayOptions> = {},
): OutboxRelay {
  return new OutboxRelay({
    pool: db.pool,
    databaseUrl: db.url,
    producer,
    logger,
    pollIntervalMs,
    service: 'test',
    ...options,
  });
}

/**
 * The real producer, seen from the relay's side: records when the broker acknowledged each message (by
 * key), can hold a send's return after the acknowledgement (`hold()` until `release()`), which keeps the
 * relay busy in its pass at a known point, and can make every send fail (`fail(error)`), as an unreachable
 * broker does. The relay calls nothing but `send`.
 */
export function observedProducer(producer: KafkaProducer) {
  const acknowledgedAt = new Map<string, number>();
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let held: (() => void) | undefined;
  let failure: Error | undefined;
  const state = { sends: 0 };
  const observed = {
    async send(request: Parameters<KafkaProducer['send']>[0]) {
      state.sends++;
      if (failure !== undefined) throw failure;
      const result = await producer.send(request);
      const now = performance.now();
      for (const m of request.messages) acknowledgedAt.set(m.key as string, now);
      if (gate !== undefined) {
        held?.();
        await gate;
      }
      return result;
    },
  } as unknown as KafkaProducer;
  return {
    producer: observed,
    acknowledgedAt,
    /** Calls of `send`, failed ones included. */
    get sends(): number {
      return state.sends;
    },
    /** Every send fails with `error` (as when the broker is unreachable) until called with undefined. */
    fail(error: Error | undefined): void {
      failure = error;
    },
    /** The next sends wait after their acknowledgement; resolves when one is waiting. */
    hold(): Promise<void> {
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return new Promise((resolve) => {
        held = resolve;
      });
    },
    release(): void {
      gate = undefined;
      open?.();
    },
    /** When the broker acknowledged the message with this key; waits for it, up to `timeoutMs`. */
    async acknowledged(key: string, timeoutMs = 10_000): Promise<number> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const at = acknowledgedAt.get(key);
        if (at !== undefined) return at;
        if (performance.now() > deadline) throw new Error(`"${key}" not acknowledged within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
  };
}
