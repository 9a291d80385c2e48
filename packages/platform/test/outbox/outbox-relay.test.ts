import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Message } from '@platformatic/kafka';
import { migrate } from '../../src/db/migrate.ts';
import { inTransaction } from '../../src/db/pool.ts';
import { createConsumer, createProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { OutboxRelay } from '../../src/outbox/outbox-relay.ts';
import { appendToOutbox, type OutboxMessage } from '../../src/outbox/outbox-writer.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';
import {
  createTestDatabase,
  createTestTopics,
  eventually,
  type TestDatabase,
  testKafkaConnection,
  uniqueName,
} from '../../src/testing.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
type Record = Message<string, Buffer, string, Buffer>;

function message(topic: string, key: string, value: string): OutboxMessage {
  const eventId = randomUUID();
  return { eventId, eventType: 'TestEvent', topic, key, payload: Buffer.from(value), headers: { 'event-id': eventId } };
}

async function setup(t: import('node:test').TestContext, partitions = 3) {
  const db = await createTestDatabase(t, 'outbox');
  await migrate(db.pool, [platformMigrations]);
  const [topic] = await createTestTopics(t, ['outbox'], { partitions });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  return { db, topic, producer };
}

function relay(db: TestDatabase, producer: ReturnType<typeof createProducer>, pollIntervalMs = 100): OutboxRelay {
  return new OutboxRelay({ pool: db.pool, databaseUrl: db.url, producer, logger, pollIntervalMs, service: 'test' });
}

async function collect(t: import('node:test').TestContext, topic: string, count: number): Promise<Record[]> {
  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-group'));
  t.after(() => consumer.close(true));
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 });
  const records: Record[] = [];
  for await (const record of stream) {
    records.push(record);
    if (records.length >= count) break;
  }
  await stream.close();
  return records;
}

test('relay should publish every outbox row with its headers, in per-key order, and then delete it', async (t) => {
  const { db, topic, producer } = await setup(t);
  const KEYS = 5;
  const PER_KEY = 40;
  for (let i = 0; i < PER_KEY; i++) {
    await inTransaction(db.pool, (client) =>
      appendToOutbox(
        client,
        Array.from({ length: KEYS }, (_, k) => message(topic, `order-${k}`, String(i))),
      ),
    );
  }
  const outboxRelay = relay(db, producer);
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  const records = await collect(t, topic, KEYS * PER_KEY);
  for (let k = 0; k < KEYS; k++) {
    const values = records.filter((r) => r.key === `order-${k}`).map((r) => Number(r.value.toString()));
    assert.deepEqual(
      values,
      Array.from({ length: PER_KEY }, (_, i) => i),
      `order-${k} in commit order`,
    );
  }
  assert.ok(records.every((r) => r.headers.get('event-id')?.toString().length === 36));
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    5_000,
    'outbox empty',
  );
});

test('relay should not skip a row whose transaction took a lower id but committed later', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const outboxRelay = relay(db, producer);
  outboxRelay.start();
  t.after(() => outboxRelay.stop());

  const slow = await db.pool.connect();
  await slow.query('BEGIN');
  await appendToOutbox(slow, [message(topic, 'late', 'late')]); // takes the lower id, stays uncommitted
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'early', 'early')]));
  // The relay publishes the higher id first; a relay that remembered "last id seen" would now skip the lower one.
  await eventually(
    async () =>
      (await db.pool.query("SELECT 1 FROM outbox WHERE message_key = 'early'")).rowCount === 0 ? true : undefined,
    10_000,
    'early row published',
  );
  await slow.query('COMMIT');
  slow.release();

  const records = await collect(t, topic, 2);
  assert.deepEqual(
    records.map((r) => r.key),
    ['early', 'late'],
  );
});

test('two relays on one database should publish everything exactly once, with one leader at a time', async (t) => {
  const { db, topic, producer } = await setup(t);
  const first = relay(db, producer);
  const second = relay(db, producer);
  first.start();
  second.start();
  t.after(() => Promise.all([first.stop(), second.stop()]));
  const TOTAL = 300;
  const BATCHES = 30;
  for (let b = 0; b < BATCHES; b++) {
    await inTransaction(db.pool, (client) =>
      appendToOutbox(
        client,
        Array.from({ length: TOTAL / BATCHES }, (_, i) => message(topic, `k-${i % 4}`, String(b * 100 + i))),
      ),
    );
  }
  const records = await collect(t, topic, TOTAL);
  assert.equal(new Set(records.map((r) => r.value.toString())).size, TOTAL);
  assert.equal([first.isLeader, second.isLeader].filter(Boolean).length, 1);

  // The leader stops; the standby takes over and publishes what comes next.
  const [leader, standby] = first.isLeader ? [first, second] : [second, first];
  await leader.stop();
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'after', 'after-failover')]));
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    10_000,
    'standby published',
  );
  assert.equal(standby.isLeader, true);
});

test('relay woken by NOTIFY should publish rows committed while a batch was in flight without waiting for the poll, and delete every acknowledged row', async (t) => {
  const { db, topic, producer } = await setup(t);
  // A poll far beyond the test's bounds: only NOTIFY (and the delete linger) can make progress here.
  const outboxRelay = relay(db, producer, 600_000);
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');
  const TOTAL = 60;
  const started = performance.now();
  for (let i = 0; i < TOTAL; i++) {
    await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, `k-${i % 3}`, String(i))]));
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    5_000,
    'outbox empty',
  );
  assert.ok(performance.now() - started < 5_000, 'no row waited for the poll');
  const records = await collect(t, topic, TOTAL);
  assert.equal(new Set(records.map((r) => r.value.toString())).size, TOTAL);
});
