import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createTestDatabase, createTestTopics, eventually, testKafkaConnection, uniqueName } from '@shop/test-support';
import {
  ConsumerRunner,
  MAX_BATCH_RECORDS,
  OFFSET_COMMIT_INTERVAL_MS,
  OFFSET_COMMIT_LINGER_MS,
} from '../../src/consume/consumer-runner.ts';
import { openRecordSource } from '../../src/consume/ports.ts';
import { adaptRecordHandler } from '../../src/consume/record-handler.ts';
import type {
  ConsumerRunnerOptions,
  Decoded,
  FailureRouter,
  KafkaRecord,
  RecordFailure,
} from '../../src/consume/types.ts';
import { migrate } from '../../src/db/migrate.ts';
import { AppError, platformError } from '../../src/errors.ts';
import { createAdmin, createProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { onOutboxCommit } from '../../src/outbox/outbox-signal.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

interface TestEvent {
  n: number;
}

/** A minimal decoder: JSON body with a numeric `n`, event id from the `event-id` header. */
function decode(record: KafkaRecord): Decoded<TestEvent> {
  const eventId = record.headers.get('event-id')?.toString();
  if (eventId === undefined) return { ok: false, code: 'TEST_MISSING_HEADER', reason: 'event-id header missing' };
  try {
    const body = JSON.parse(record.value.toString()) as { n?: unknown };
    if (typeof body.n !== 'number') return { ok: false, code: 'TEST_SCHEMA_INVALID', reason: '/n must be a number' };
    return { ok: true, event: { n: body.n }, eventId };
  } catch {
    return { ok: false, code: 'TEST_NOT_JSON', reason: 'value is not JSON' };
  }
}

class CollectingRouter implements FailureRouter {
  readonly routed: Array<{ value: string; failure: RecordFailure }> = [];
  async route(record: KafkaRecord, failure: RecordFailure) {
    this.routed.push({ value: record.value.toString(), failure });
    return 'dead-lettered' as const;
  }
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function setup(t: import('node:test').TestContext) {
  const db = await createTestDatabase(t, 'runner');
  await migrate(db.pool, [platformMigrations]);
  await db.pool.query('CREATE TABLE effects (n integer NOT NULL)');
  const [topic] = await createTestTopics(t, ['runner'], { partitions: 2 });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const groupId = uniqueName('test-group');
  const send = (values: Array<{ value: string; eventId?: string; key?: string }>) =>
    producer.send({
      messages: values.map((v) => ({
        topic,
        key: v.key ?? 'k',
        value: Buffer.from(v.value),
        headers: new Map([['event-id', Buffer.from(v.eventId ?? randomUUID())]]),
      })),
    });
  return { db, topic, groupId, send, connection: await testKafkaConnection() };
}

function runner(
  s: Setup,
  handle: (event: TestEvent, client: import('../../src/db/pool.ts').PoolClient) => Promise<void>,
  failures: FailureRouter = new CollectingRouter(),
  options: Partial<
    Pick<ConsumerRunnerOptions<TestEvent>, 'maxConcurrentBatches' | 'initialBatchRecords' | 'dueAt' | 'openSource'>
  > = {},
) {
  return new ConsumerRunner<TestEvent>({
    ...options,
    name: 'test-consumer',
    groupId: s.groupId,
    topics: [s.topic],
    connection: s.connection,
    pool: s.db.pool,
    logger,
    decode,
    failures,
    handleBatch: adaptRecordHandler<TestEvent>((event, context) => handle(event, context.client)),
  });
}

const insertEffect = async (event: TestEvent, client: import('../../src/db/pool.ts').PoolClient) => {
  await client.query('INSERT INTO effects (n) VALUES ($1)', [event.n]);
};

async function effects(s: Setup): Promise<number[]> {
  const { rows } = await s.db.pool.query<{ n: number }>('SELECT n FROM effects ORDER BY n');
  return rows.map((r) => r.n);
}

async function committedTotal(s: Setup): Promise<number> {
  const admin = createAdmin(await testKafkaConnection());
  try {
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId: s.groupId, topics: [{ name: s.topic, partitionIndexes: [0, 1] }] }],
    });
    return (group?.topics[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
  } finally {
    await admin.close();
  }
}

test('runner should apply each event once and commit, so a restarted member reprocesses nothing', async (t) => {
  const s = await setup(t);
  await s.send(Array.from({ length: 30 }, (_, n) => ({ value: JSON.stringify({ n }), key: `k${n % 5}` })));
  const first = runner(s, insertEffect);
  await first.start();
  await eventually(async () => ((await effects(s)).length === 30 ? true : undefined), 20_000, '30 effects');
  await eventually(async () => ((await committedTotal(s)) === 30 ? true : undefined), 10_000, 'offsets committed');
  await first.stop();

  await s.send([{ value: JSON.stringify({ n: 100 }) }]);
  const second = runner(s, insertEffect);
  await second.start();
  t.after(() => second.stop());
  await eventually(async () => ((await effects(s)).includes(100) ? true : undefined), 20_000, 'new record processed');
  assert.deepEqual(await effects(s), [...Array.from({ length: 30 }, (_, n) => n), 100]);
});

test('runner should send the offsets of its last batches before stop resolves, though batches no longer wait for them', async (t) => {
  const s = await setup(t);
  await s.send(Array.from({ length: 6 }, (_, n) => ({ value: JSON.stringify({ n }), key: `k${n % 3}` })));
  const member = runner(s, insertEffect);
  await member.start();
  await eventually(async () => ((await effects(s)).length === 6 ? true : undefined), 20_000, '6 effects');
  // No wait for the commits here: stop itself must see them answered.
  await member.stop();
  assert.equal(await committedTotal(s), 6);
});

test('runner should send offsets at most once per linger while records arrive one at a time, and the last ones without a stop', async (t) => {
  const s = await setup(t);
  // A flush sends one commit per partition, all in one synchronous turn: the first call of a turn starts a
  // flush. (Telling them apart by time failed on a loaded machine, two calls of one flush >1 ms apart.)
  const flushes: number[] = [];
  let inFlush = false;
  const member = runner(s, insertEffect, new CollectingRouter(), {
    openSource: async (options) => {
      const source = await openRecordSource(options);
      return {
        ...source,
        commit: (record) => {
          if (!inFlush) {
            inFlush = true;
            flushes.push(performance.now());
            setImmediate(() => {
              inFlush = false;
            });
          }
          return source.commit(record);
        },
      };
    },
  });
  await member.start();
  t.after(() => member.stop());
  // One record every 20 ms: each is a batch of its own, ten of them per linger.
  const records = 40;
  for (let n = 0; n < records; n++) {
    await s.send([{ value: JSON.stringify({ n }), key: `k${n % 2}` }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await eventually(async () => ((await effects(s)).length === records ? true : undefined), 20_000, 'all effects');
  // The last offsets go out once the linger has passed, not only when the member stops.
  await eventually(
    async () => ((await committedTotal(s)) === records ? true : undefined),
    10_000,
    'offsets committed while running',
  );
  for (let i = 1; i < flushes.length; i++) {
    const gap = (flushes[i] as number) - (flushes[i - 1] as number);
    assert.ok(gap >= OFFSET_COMMIT_LINGER_MS - 5, `offsets sent ${gap.toFixed(0)} ms after the previous send`);
  }
  assert.ok(flushes.length < records / 3, `${flushes.length} sends for ${records} one-record batches`);
});

test('runner should wake the outbox relays of its pool once a batch committed, also when the handler wrote its outbox rows with its own SQL', async (t) => {
  const s = await setup(t);
  let committedWhenSignalled: number[] | undefined;
  let signals = 0;
  t.after(
    onOutboxCommit(s.db.pool, () => {
      signals++;
      // Synchronously from the committing caller: what another connection reads now is what was committed.
      void effects(s).then((seen) => {
        committedWhenSignalled ??= seen;
      });
    }),
  );
  await s.send([{ value: JSON.stringify({ n: 7 }) }]);
  const member = runner(s, insertEffect);
  await member.start();
  t.after(() => member.stop());
  await eventually(async () => (committedWhenSignalled === undefined ? undefined : true), 20_000, 'a signal');
  assert.deepEqual(committedWhenSignalled, [7]);
  assert.equal(signals, 1);
});

test('runner should give a redelivered event (same event id) no second effect', async (t) => {
  const s = await setup(t);
  const eventId = randomUUID();
  await s.send([
    { value: JSON.stringify({ n: 1 }), eventId },
    { value: JSON.stringify({ n: 1 }), eventId },
    { value: JSON.stringify({ n: 2 }) },
  ]);
  const r = runner(s, insertEffect);
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 3 ? true : undefined), 20_000, 'all three committed');
  assert.deepEqual(await effects(s), [1, 2]);
  const inbox = await s.db.pool.query('SELECT consumer, event_id FROM inbox WHERE event_id = $1', [eventId]);
  assert.equal(inbox.rowCount, 1);
});

test('runner should route a poison record to the failure router and keep the partition flowing', async (t) => {
  const s = await setup(t);
  const router = new CollectingRouter();
  await s.send([
    { value: JSON.stringify({ n: 1 }) },
    { value: 'not json' },
    { value: JSON.stringify({ n: 'two' }) },
    { value: JSON.stringify({ n: 3 }) },
  ]);
  const r = runner(s, insertEffect, router);
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 4 ? true : undefined), 20_000, 'all four committed');
  assert.deepEqual(await effects(s), [1, 3]);
  assert.deepEqual(
    router.routed.map((r) => [r.value, r.failure.kind, r.failure.code]),
    [
      ['not json', 'poison', 'TEST_NOT_JSON'],
      ['{"n":"two"}', 'poison', 'TEST_SCHEMA_INVALID'],
    ],
  );
});

test('runner should retry an infrastructure failure in place, never route it, and commit only after success', async (t) => {
  const s = await setup(t);
  const router = new CollectingRouter();
  let failuresLeft = 3;
  let committedWhileFailing = -1;
  await s.send([{ value: JSON.stringify({ n: 7 }) }]);
  const r = runner(
    s,
    async (event, client) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        committedWhileFailing = Math.max(committedWhileFailing, await committedTotal(s));
        throw platformError('PLT_POSTGRES_UNREACHABLE', 'database down (injected)');
      }
      await insertEffect(event, client);
    },
    router,
  );
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 1 ? true : undefined), 20_000, 'committed after success');
  assert.equal(committedWhileFailing, 0, 'no offset committed while the record kept failing');
  assert.deepEqual(await effects(s), [7]);
  assert.deepEqual(router.routed, []);
});

test('runner should route a retryable per-record failure as transient, not retry it in place', async (t) => {
  const s = await setup(t);
  const router = new CollectingRouter();
  await s.send([{ value: JSON.stringify({ n: 9 }) }]);
  const transient = runner(
    s,
    async () => {
      throw new AppError('TEST_DOWNSTREAM_TIMEOUT', 'downstream timed out', { retryable: true });
    },
    router,
  );
  await transient.start();
  t.after(() => transient.stop());
  await eventually(async () => (router.routed.length === 1 ? true : undefined), 20_000, 'routed');
  assert.equal(router.routed[0]?.failure.kind, 'transient');
  assert.equal(router.routed[0]?.failure.code, 'TEST_DOWNSTREAM_TIMEOUT');
  assert.deepEqual(await effects(s), []);
});

/** The handler's effect plus the id of the transaction it ran in, to tell batched records apart. */
async function setupWithTransactions(t: import('node:test').TestContext) {
  const s = await setup(t);
  await s.db.pool.query('ALTER TABLE effects ADD COLUMN tx bigint NOT NULL DEFAULT txid_current()');
  return s;
}

async function transactionsOf(s: Setup): Promise<Map<number, string>> {
  const { rows } = await s.db.pool.query<{ n: number; tx: string }>('SELECT n, tx FROM effects');
  return new Map(rows.map((r) => [r.n, r.tx]));
}

test('runner should dead-letter a poison record in the middle of a batch alone, and commit the others once', async (t) => {
  const s = await setupWithTransactions(t);
  const router = new CollectingRouter();
  const calls = new Map<number, number>();
  // One key: one partition, fetched together before the runner starts, so the five share a batch.
  await s.send([1, 2, 3, 4, 5].map((n) => ({ value: JSON.stringify({ n }), key: 'one-partition' })));
  const r = runner(
    s,
    async (event, client) => {
      calls.set(event.n, (calls.get(event.n) ?? 0) + 1);
      await insertEffect(event, client);
      if (event.n === 3) throw new AppError('TEST_RULE_BROKEN', 'record 3 can never pass', { retryable: false });
    },
    router,
    { initialBatchRecords: MAX_BATCH_RECORDS },
  );
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 5 ? true : undefined), 20_000, 'all five committed');
  assert.deepEqual(await effects(s), [1, 2, 4, 5]);
  assert.deepEqual(
    router.routed.map((routed) => [routed.value, routed.failure.kind, routed.failure.code]),
    [['{"n":3}', 'poison', 'TEST_RULE_BROKEN']],
  );
  // The batch handler contract allows re-running a failed batch's items (the records before the poison
  // one run again as their own batch, since the failed transaction committed nothing); each runs after it once.
  assert.equal(calls.get(3), 2, 'the poison record failed in the batch and alone');
  assert.equal(calls.get(4), 1);
  assert.equal(calls.get(5), 1);
  const tx = await transactionsOf(s);
  assert.equal(tx.get(1), tx.get(2), 'records before the poison one committed in one transaction');
  assert.equal(tx.get(4), tx.get(5), 'records after it committed in one transaction');
  const inbox = await s.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM inbox');
  assert.equal(Number(inbox.rows[0]?.n), 4, 'no inbox row for the dead-lettered record');
});

test('runner should commit nothing of a batch, and no offset, while a database failure in its middle lasts', async (t) => {
  const s = await setupWithTransactions(t);
  const router = new CollectingRouter();
  let failuresLeft = 2;
  const seenWhileFailing: Array<{ effects: number[]; committed: number }> = [];
  await s.send([1, 2, 3].map((n) => ({ value: JSON.stringify({ n }), key: 'one-partition' })));
  const r = runner(
    s,
    async (event, client) => {
      await insertEffect(event, client);
      if (event.n === 2 && failuresLeft > 0) {
        failuresLeft--;
        seenWhileFailing.push({ effects: await effects(s), committed: await committedTotal(s) });
        throw platformError('PLT_POSTGRES_UNREACHABLE', 'database down (injected)');
      }
    },
    router,
    { initialBatchRecords: MAX_BATCH_RECORDS },
  );
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 3 ? true : undefined), 20_000, 'committed after success');
  assert.deepEqual(seenWhileFailing, [
    { effects: [], committed: 0 },
    { effects: [], committed: 0 },
  ]);
  assert.deepEqual(await effects(s), [1, 2, 3]);
  assert.deepEqual(router.routed, []);
  const tx = await transactionsOf(s);
  assert.equal(new Set(tx.values()).size, 1, 'the retried batch committed as one transaction');
});

test('runner should hold at most maxConcurrentBatches transactions at once, whatever the number of busy partitions', async (t) => {
  const s = await setup(t);
  let open = 0;
  let mostOpen = 0;
  // Keys spread over both partitions of the topic.
  await s.send(Array.from({ length: 20 }, (_, n) => ({ value: JSON.stringify({ n }), key: `k${n}` })));
  const r = runner(
    s,
    async (event, client) => {
      open++;
      mostOpen = Math.max(mostOpen, open);
      await new Promise((resolve) => setTimeout(resolve, 20));
      open--;
      await insertEffect(event, client);
    },
    new CollectingRouter(),
    { maxConcurrentBatches: 1 },
  );
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 20 ? true : undefined), 20_000, 'all committed');
  assert.equal((await effects(s)).length, 20);
  assert.equal(mostOpen, 1);
});

test('runner should commit offsets during a long batch of slow records, not only at its end', async (t) => {
  const s = await setup(t);
  const records = 12;
  await s.send(Array.from({ length: records }, (_, n) => ({ value: JSON.stringify({ n }), key: 'one-partition' })));
  const committedWhileHandling: number[] = [];
  const r = runner(s, async (event, client) => {
    // Slow enough that the whole batch takes several OFFSET_COMMIT_INTERVAL_MS.
    await new Promise((resolve) => setTimeout(resolve, OFFSET_COMMIT_INTERVAL_MS / 3));
    await insertEffect(event, client);
    if (event.n === records - 1) committedWhileHandling.push(await committedTotal(s));
  });
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === records ? true : undefined), 30_000, 'all committed');
  assert.equal((await effects(s)).length, records);
  const [beforeLast] = committedWhileHandling;
  assert.ok(
    beforeLast !== undefined && beforeLast > 0 && beforeLast < records,
    `offsets moved before the batch ended (committed ${beforeLast} while handling the last record)`,
  );
});

test('runner should not hold a transaction slot while a partition waits for a record to be due', async (t) => {
  const s = await setup(t);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const dueAt = Date.now() + 4_000;
  await producer.send({
    messages: [
      // Partition 0: a retry-tier record not due for seconds; partition 1: a record due now.
      {
        topic: s.topic,
        partition: 0,
        key: 'later',
        value: Buffer.from(JSON.stringify({ n: 1 })),
        headers: new Map([
          ['event-id', Buffer.from(randomUUID())],
          ['due-at', Buffer.from(String(dueAt))],
        ]),
      },
      {
        topic: s.topic,
        partition: 1,
        key: 'now',
        value: Buffer.from(JSON.stringify({ n: 2 })),
        headers: new Map([['event-id', Buffer.from(randomUUID())]]),
      },
    ],
  });
  const r = runner(s, insertEffect, new CollectingRouter(), {
    maxConcurrentBatches: 1,
    dueAt: (record) => {
      const header = record.headers.get('due-at')?.toString();
      return header === undefined ? undefined : Number(header);
    },
  });
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await effects(s)).includes(2) ? true : undefined), 20_000, 'the due record handled');
  assert.ok(Date.now() < dueAt, 'handled while the other partition was still waiting');
  assert.deepEqual(await effects(s), [2]);
  await eventually(async () => ((await effects(s)).includes(1) ? true : undefined), 20_000, 'the later record handled');
  assert.ok(Date.now() >= dueAt);
});

test('runner should dead-letter a record whose decoder throws, and handle the rest of its batch', async (t) => {
  const s = await setup(t);
  const router = new CollectingRouter();
  await s.send([1, 2, 3].map((n) => ({ value: JSON.stringify({ n }), key: 'one-partition' })));
  const r = new ConsumerRunner<TestEvent>({
    name: 'test-consumer',
    groupId: s.groupId,
    topics: [s.topic],
    connection: s.connection,
    pool: s.db.pool,
    logger,
    decode: (record) => {
      if (record.value.toString() === '{"n":2}') throw new Error('decoder bug (injected)');
      return decode(record);
    },
    failures: router,
    handleBatch: adaptRecordHandler<TestEvent>((event, context) => insertEffect(event, context.client)),
  });
  await r.start();
  t.after(() => r.stop());
  await eventually(async () => ((await committedTotal(s)) === 3 ? true : undefined), 20_000, 'all three committed');
  assert.deepEqual(await effects(s), [1, 3]);
  assert.deepEqual(
    router.routed.map((routed) => [routed.value, routed.failure.kind, routed.failure.code]),
    [['{"n":2}', 'poison', 'PLT_UNEXPECTED']],
  );
});

async function committedOffsets(s: Setup): Promise<number[]> {
  const admin = createAdmin(await testKafkaConnection());
  try {
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId: s.groupId, topics: [{ name: s.topic, partitionIndexes: [0, 1] }] }],
    });
    const partitions = group?.topics[0]?.partitions ?? [];
    return [0, 1].map((index) =>
      Math.max(0, Number(partitions.find((p) => p.partitionIndex === index)?.committedOffset ?? -1)),
    );
  } finally {
    await admin.close();
  }
}

/** Fails every route with Kafka unreachable while `down`, as the producer does during a broker outage. */
class OutageRouter implements FailureRouter {
  down = true;
  attempts = 0;
  readonly routed: string[] = [];
  async route(record: KafkaRecord) {
    this.attempts++;
    if (this.down) throw platformError('PLT_KAFKA_UNREACHABLE', 'broker unreachable (injected)');
    this.routed.push(record.value.toString());
    return 'dead-lettered' as const;
  }
}

test('runner should free its transaction slot and connection while a failed record waits for its routing, and commit its offset only once routed', async (t) => {
  const s = await setup(t);
  const router = new OutageRouter();
  const r = runner(s, insertEffect, router, { maxConcurrentBatches: 1 });
  await r.start();
  t.after(() => r.stop());
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const send = (partition: number, value: string) =>
    producer.send({
      messages: [
        {
          topic: s.topic,
          partition,
          key: `p${partition}`,
          value: Buffer.from(value),
          headers: new Map([['event-id', Buffer.from(randomUUID())]]),
        },
      ],
    });
  await send(0, 'not json{');
  await eventually(async () => (router.attempts >= 2 ? true : undefined), 20_000, 'routing retried in place');

  // The only transaction slot is free: the other partition's record takes effect while routing still fails.
  await send(1, JSON.stringify({ n: 1 }));
  await eventually(async () => ((await effects(s)).includes(1) ? true : undefined), 10_000, 'partition 1 handled');
  await eventually(
    async () => ((await committedOffsets(s))[1] === 1 ? true : undefined),
    10_000,
    'partition 1 committed',
  );
  const attemptsSoFar = router.attempts;
  assert.equal(s.db.pool.totalCount - s.db.pool.idleCount, 0, 'no connection held while routing retries');
  assert.deepEqual(await committedOffsets(s), [0, 1], 'no offset past the unrouted record');
  assert.deepEqual(router.routed, []);

  router.down = false;
  await eventually(
    async () => ((await committedOffsets(s))[0] === 1 ? true : undefined),
    20_000,
    'partition 0 committed once routed',
  );
  assert.deepEqual(router.routed, ['not json{']);
  assert.ok(router.attempts > attemptsSoFar);
});
