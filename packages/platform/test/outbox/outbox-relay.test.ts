import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, readTopic, testPostgresUrl, uniqueName } from '@shop/test-support';
import pg from 'pg';
import { databaseUrl } from '../../src/config.ts';
import { inTransaction } from '../../src/db/pool.ts';
import { appendToOutbox } from '../../src/outbox/outbox-writer.ts';
import { message, observedProducer, relay, setup } from './relay-harness.ts';

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
  const records = await readTopic(topic, KEYS * PER_KEY);
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

  const records = await readTopic(topic, 2);
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
  const records = await readTopic(topic, TOTAL);
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

test('relay woken by commit signals should publish rows committed while a batch was in flight without waiting for the poll, and delete every acknowledged row', async (t) => {
  const { db, topic, producer } = await setup(t);
  // A poll far beyond the test's bounds: only the commit signals (and the delete linger) can make progress.
  const outboxRelay = relay(db, producer, 600_000, { minPollIntervalMs: 600_000 });
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
  const records = await readTopic(topic, TOTAL);
  assert.equal(new Set(records.map((r) => r.value.toString())).size, TOTAL);
});

test('a commit signalled while the relay is busy after a sleep that timed out should make it read again at once, not after the poll', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const observed = observedProducer(producer);
  // No poll within the test: only the signal of the second commit can get it published.
  const outboxRelay = relay(db, observed.producer, 600_000, { minPollIntervalMs: 600_000 });
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');

  // The first row is published and acknowledged; the relay is held right after the acknowledgement.
  const held = observed.hold();
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'first', 'first')]));
  await held;
  // Locking the acknowledged row makes the relay's next read (which carries its delete) wait for the lock.
  const locker = await db.pool.connect();
  await locker.query('BEGIN');
  await locker.query("SELECT 1 FROM outbox WHERE message_key = 'first' FOR UPDATE");
  observed.release();
  // The relay's linger times out (nothing commits meanwhile); then its read blocks on the lock: it is busy.
  await eventually(
    async () => {
      const { rows } = await db.pool.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      return rows[0]?.waiting === 1 ? true : undefined;
    },
    5_000,
    'relay read waiting on the lock',
  );
  // Signalled while the relay is busy; its read in flight started before this commit and cannot see it.
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'second', 'second')]));
  await locker.query('COMMIT');
  const released = performance.now();
  locker.release();
  const acknowledged = await observed.acknowledged('second', 5_000);
  assert.ok(
    acknowledged - released < 1_000,
    `published ${Math.round(acknowledged - released)} ms after the pass ended`,
  );
  const records = await readTopic(topic, 2);
  assert.deepEqual(
    records.map((r) => r.key),
    ['first', 'second'],
  );
});

test('a relay backing off after a failed publish should not retry once per signalled commit', async (t) => {
  const { db, topic, producer } = await setup(t, 1);
  const observed = observedProducer(producer);
  const outboxRelay = relay(db, observed.producer, 600_000, { minPollIntervalMs: 600_000 });
  outboxRelay.start();
  t.after(() => outboxRelay.stop());
  await eventually(async () => (outboxRelay.isLeader ? true : undefined), 5_000, 'leader');
  observed.fail(Object.assign(new Error('broker unreachable'), { code: 'ECONNREFUSED' }));
  // 20 commits over about a second: backing off from 200 ms (200, 400, 800) allows 4 attempts in that time;
  // a relay that each signal woke would try about 20 times.
  const COMMITS = 20;
  for (let i = 0; i < COMMITS; i++) {
    await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, `k-${i}`, String(i))]));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(observed.sends >= 1, 'the relay tried');
  assert.ok(observed.sends <= 6, `${observed.sends} publish attempts while backing off`);
  // Once the broker is back, the next attempt publishes everything, in order.
  observed.fail(undefined);
  const records = await readTopic(topic, COMMITS);
  assert.deepEqual(
    records.map((r) => r.value.toString()),
    Array.from({ length: COMMITS }, (_, i) => String(i)),
  );
});

test('a standby should publish within a few seconds when the leader session is terminated and cannot come back', async (t) => {
  const { db, topic, producer } = await setup(t);
  const server = new pg.Client({ connectionString: databaseUrl(await testPostgresUrl(), 'postgres') });
  await server.connect();
  // The leader's session logs in as its own role, so the test can keep it from reconnecting, as when the
  // leader's host lost its way to the database (a leader that reconnects at once could simply lead again).
  const role = uniqueName('t_relay_leader', '_').toLowerCase();
  await server.query(`CREATE ROLE "${role}" LOGIN`);
  const leaderUrl = new URL(db.url);
  leaderUrl.username = role;
  const leader = relay(db, producer, 1_000, { databaseUrl: leaderUrl.toString() });
  const standby = relay(db, producer, 1_000);
  t.after(async () => {
    await Promise.all([leader.stop(), standby.stop()]);
    await server.query(`DROP ROLE IF EXISTS "${role}"`);
    await server.end();
  });
  leader.start();
  await eventually(async () => (leader.isLeader ? true : undefined), 5_000, 'first relay leads');
  // The producer's first send to a new topic waits for its metadata: done before the clock starts.
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'before', 'before-failover')]));
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    10_000,
    'leader published',
  );
  standby.start();
  await eventually(
    async () => {
      const { rows } = await db.pool.query<{ sessions: number }>(
        `SELECT count(*)::int AS sessions FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'SELECT pg_try_advisory_lock%'`,
      );
      return rows[0]?.sessions === 2 ? true : undefined;
    },
    5_000,
    'standby tried to lead',
  );
  assert.equal(standby.isLeader, false);

  await server.query(`ALTER ROLE "${role}" NOLOGIN`);
  const terminated = await server.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [
    role,
  ]);
  assert.equal(terminated.rowCount, 1, 'the leader session was terminated');
  const killed = performance.now();
  // Committed at once: the old leader may still publish it before its session's end reaches it, and the
  // standby again after it (at-least-once across a change of leader).
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'after', 'after-failover')]));
  await eventually(async () => (standby.isLeader ? true : undefined), 5_000, 'standby leads');
  assert.ok(performance.now() - killed < 5_000);
  assert.equal(leader.isLeader, false, 'the old leader knows it lost its session');
  // Only the standby can publish this one.
  await inTransaction(db.pool, (client) => appendToOutbox(client, [message(topic, 'later', 'standby-published')]));
  await eventually(
    async () => ((await db.pool.query('SELECT 1 FROM outbox')).rowCount === 0 ? true : undefined),
    5_000,
    'standby published',
  );
  // Every row is on the topic (collect waits for all three; a duplicate of 'after-failover' is allowed).
  const expected = ['before-failover', 'after-failover', 'standby-published'];
  await readTopic(topic, (records) => expected.every((v) => records.some((r) => r.value.toString() === v)));
});
