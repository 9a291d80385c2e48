import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, eventually, readTopic } from '@shop/test-support';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { inTransaction } from '../../src/db/pool.ts';
import { DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS, DEFAULT_OUTBOX_POLL_INTERVAL_MS } from '../../src/outbox/outbox-relay.ts';
import { onOutboxCommit, sameDatabaseAs, signalOutboxCommit } from '../../src/outbox/outbox-signal.ts';
import { appendToOutbox } from '../../src/outbox/outbox-writer.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';
import { message, observedProducer, relay, setup } from './relay-harness.ts';

/** Far beyond every bound below: within these tests the relay polls once, when it starts, and never again. */
const NO_POLL_MS = 600_000;

function countSignals(t: import('node:test').TestContext, pool: pg.Pool): { count: number } {
  const signals = { count: 0 };
  t.after(
    onOutboxCommit(pool, () => {
      signals.count++;
    }),
  );
  return signals;
}

test('a row committed through inTransaction should be published at once, without waiting for the poll', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const observed = observedProducer(producer);
  const outboxRelay = relay(db, observed.producer, NO_POLL_MS, { minPollIntervalMs: NO_POLL_MS });
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');
  // The producer's first send to a new topic waits for its metadata (seconds on a busy machine): not measured.
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'warm-up', 'warm-up')]));
  await observed.acknowledged('warm-up', 10_000);
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100)); // the relay is asleep, not finishing a pass
    const key = `k-${i}`;
    await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, key, String(i))]));
    const committed = performance.now();
    latencies.push((await observed.acknowledged(key, 5_000)) - committed);
  }
  // Commit -> broker acknowledgement; a few milliseconds here, against a poll of ten minutes.
  assert.ok(Math.max(...latencies) < 500, `commit -> ack ${latencies.map(Math.round).join(', ')} ms`);
});

test('a rolled-back transaction should signal nothing and publish nothing', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const signals = countSignals(t, db.pool);
  const outboxRelay = relay(db, producer, NO_POLL_MS, { minPollIntervalMs: NO_POLL_MS });
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');

  await assert.rejects(
    inTransaction(db.pool, async (client) => {
      await appendToOutbox(client, [message(topic, 'rolled-back', 'thrown')]);
      throw new Error('the use case failed');
    }),
    /the use case failed/,
  );
  // An error caught inside the transaction aborts it: its COMMIT reports ROLLBACK and announces nothing.
  await inTransaction(db.pool, async (client) => {
    await appendToOutbox(client, [message(topic, 'rolled-back', 'aborted')]);
    await client.query('SELECT 1 / 0').catch(() => {});
  });
  // A transaction without an outbox row on a connection that carried one before signals nothing either.
  await inTransaction(db.pool, (client) => client.query('SELECT 1'));
  assert.equal(signals.count, 0);

  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'committed', 'committed')]));
  assert.equal(signals.count, 1);
  // The committed row is the only one on the topic once it is published (the relay publishes in id order).
  const records = await readTopic(topic, 1);
  assert.deepEqual(
    records.map((r) => r.value.toString()),
    ['committed'],
  );
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    5_000,
    'outbox empty',
  );
});

test('a row inserted by another connection, outside inTransaction, should still be published by the poll', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const signals = countSignals(t, db.pool);
  const observed = observedProducer(producer);
  // The default poll: 50 ms after activity, doubling to 1 s when idle.
  const outboxRelay = relay(db, observed.producer, DEFAULT_OUTBOX_POLL_INTERVAL_MS, {
    minPollIntervalMs: DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS,
  });
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');
  // The producer's first send to a new topic waits for its metadata: not measured.
  const warmUp = message(topic, 'warm-up', 'warm-up');
  await inTransaction(db.pool, (client) => appendToOutbox(client, [warmUp]));
  await observed.acknowledged('warm-up', 10_000);
  assert.equal(signals.count, 1);
  await new Promise((resolve) => setTimeout(resolve, 3_000)); // idle long enough for the poll to reach 1 s

  // What a second instance of the service does: it commits on its own connection; nothing here signals.
  const other = new pg.Client({ connectionString: db.url });
  await other.connect();
  const m = message(topic, 'other', 'other-process');
  let committed: number;
  try {
    await other.query(
      `INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [m.eventId, m.eventType, m.topic, m.key, m.payload, JSON.stringify(m.headers)],
    );
    committed = performance.now();
  } finally {
    await other.end();
  }
  const latency = (await observed.acknowledged('other', 5_000)) - committed;
  assert.ok(latency < 1_500, `published ${Math.round(latency)} ms after commit (idle poll 1 s)`);
  assert.equal(signals.count, 1, 'the other connection signalled nothing');
  const records = await readTopic(topic, 2);
  assert.equal(records[1]?.value.toString(), 'other-process');
});

test('a business commit should issue no NOTIFY', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const observed = observedProducer(producer);
  const outboxRelay = relay(db, observed.producer);
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  const listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  const notifications: string[] = [];
  try {
    listener.on('notification', (n) => notifications.push(n.channel));
    await listener.query('LISTEN outbox');
    await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'k', 'v')]));
    await observed.acknowledged('k', 5_000);
    // A notification committed before this round trip starts is delivered to the listener before its reply.
    await listener.query('SELECT 1');
  } finally {
    await listener.end();
  }
  assert.deepEqual(notifications, []);
  const { rows } = await db.pool.query<{ triggers: number; functions: number }>(
    `SELECT (SELECT count(*)::int FROM pg_trigger WHERE tgname = 'outbox_notify') AS triggers,
            (SELECT count(*)::int FROM pg_proc WHERE proname = 'outbox_notify') AS functions`,
  );
  assert.deepEqual(rows[0], { triggers: 0, functions: 0 });
});

test('a database migrated before the trigger was dropped should lose it on the next start, and its rows stay', async (t) => {
  const db = await createTestDatabase(t, 'outbox');
  // The platform migrations as they were when the trigger existed: 0001 alone.
  const old = await mkdtemp(join(tmpdir(), 'platform-migrations-'));
  t.after(() => rm(old, { recursive: true, force: true }));
  await cp(join(platformMigrations.directory, '0001_outbox_inbox.sql'), join(old, '0001_outbox_inbox.sql'));
  await migrate(db.pool, [{ name: platformMigrations.name, directory: old }]);
  const triggers = "SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'outbox_notify'";
  assert.equal((await db.pool.query<{ n: number }>(triggers)).rows[0]?.n, 1);
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message('t', 'k', 'before')]));

  const applied = await migrate(db.pool, [platformMigrations]);
  assert.ok(
    applied.some((m) => m.version === 2),
    `the trigger's removal applied: ${applied.map((m) => m.version)}`,
  );
  assert.equal((await db.pool.query<{ n: number }>(triggers)).rows[0]?.n, 0);
  assert.equal((await db.pool.query('SELECT 1 FROM outbox')).rowCount, 1);
});

test('a commit signalled on a second pool of the same database should reach the listeners of the first', () => {
  const requests = new pg.Pool();
  const consumers = new pg.Pool();
  const elsewhere = new pg.Pool();
  sameDatabaseAs(consumers, requests);
  const woken: string[] = [];
  const stop = onOutboxCommit(requests, () => woken.push('requests'));
  signalOutboxCommit(consumers);
  signalOutboxCommit(requests);
  signalOutboxCommit(elsewhere);
  assert.deepEqual(woken, ['requests', 'requests'], 'a pool of another database wakes nobody');
  stop();
  signalOutboxCommit(consumers);
  assert.equal(woken.length, 2, 'a removed listener is not called');
});
