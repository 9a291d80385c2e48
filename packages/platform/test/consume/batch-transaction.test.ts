import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { createTestDatabase, createTestTopics, eventually, testKafkaConnection, uniqueName } from '@shop/test-support';
import { ConsumerRunner, MAX_BATCH_RECORDS } from '../../src/consume/consumer-runner.ts';
import {
  type BatchHandler,
  BatchItemError,
  type Decoded,
  type FailureRouter,
  type KafkaRecord,
  type RecordFailure,
} from '../../src/consume/types.ts';
import { migrate } from '../../src/db/migrate.ts';
import { AppError, platformError } from '../../src/errors.ts';
import { createAdmin, createProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

interface TestEvent {
  n: number;
}

function decode(record: KafkaRecord): Decoded<TestEvent> {
  const eventId = record.headers.get('event-id')?.toString();
  if (eventId === undefined) return { ok: false, code: 'TEST_MISSING_HEADER', reason: 'event-id header missing' };
  const body = JSON.parse(record.value.toString()) as { n: number };
  return { ok: true, event: { n: body.n }, eventId };
}

class CollectingRouter implements FailureRouter {
  readonly routed: Array<{ n: number; failure: RecordFailure }> = [];
  async route(record: KafkaRecord, failure: RecordFailure) {
    this.routed.push({ n: (JSON.parse(record.value.toString()) as TestEvent).n, failure });
    return failure.kind === 'poison' ? ('dead-lettered' as const) : ('retried' as const);
  }
}

async function setup(t: TestContext, partitions = 1) {
  const db = await createTestDatabase(t, 'batch');
  await migrate(db.pool, [platformMigrations]);
  // A unique n: an effect applied twice fails the test's own statement.
  await db.pool.query(
    'CREATE TABLE effects (n integer PRIMARY KEY, p integer, tx bigint NOT NULL DEFAULT txid_current())',
  );
  const [topic] = await createTestTopics(t, ['batch'], { partitions });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const groupId = uniqueName('test-group');
  const connection = await testKafkaConnection();
  const send = (ns: readonly number[], options: { partition?: number; eventIds?: readonly string[] } = {}) =>
    producer.send({
      messages: ns.map((n, i) => ({
        topic,
        partition: options.partition ?? 0,
        key: 'k',
        value: Buffer.from(JSON.stringify({ n })),
        headers: new Map([['event-id', Buffer.from(options.eventIds?.[i] ?? randomUUID())]]),
      })),
    });
  const router = new CollectingRouter();
  const start = async (
    handleBatch: BatchHandler<TestEvent>,
    options: { initialBatchRecords?: number; maxConcurrentBatches?: number; failures?: FailureRouter } = {},
  ) => {
    const runner = new ConsumerRunner<TestEvent>({
      name: 'test-consumer',
      groupId,
      topics: [topic],
      connection,
      pool: db.pool,
      logger,
      decode,
      failures: router,
      handleBatch,
      // The records sent before the start come as one batch, which most of these tests are about.
      initialBatchRecords: MAX_BATCH_RECORDS,
      ...options,
    });
    await runner.start();
    t.after(() => runner.stop());
    return runner;
  };
  const effects = async () =>
    (await db.pool.query<{ n: number }>('SELECT n FROM effects ORDER BY n')).rows.map((row) => row.n);
  const effectsByPartition = async () =>
    (await db.pool.query<{ p: number }>('SELECT p FROM effects ORDER BY n')).rows.map((row) => row.p);
  const transactions = async () =>
    new Map((await db.pool.query<{ n: number; tx: string }>('SELECT n, tx FROM effects')).rows.map((r) => [r.n, r.tx]));
  const committed = async () => {
    const admin = createAdmin(connection);
    try {
      const [group] = await admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }] }],
      });
      return (group?.topics[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
    } finally {
      await admin.close();
    }
  };
  const inboxRows = async () => Number((await db.pool.query('SELECT count(*) AS n FROM inbox')).rows[0]?.n);
  return { db, topic, send, start, router, effects, effectsByPartition, transactions, committed, inboxRows };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** One set-based statement for the whole batch, as a real handler would. */
async function insertAll(items: ReadonlyArray<{ event: TestEvent }>, client: import('pg').PoolClient) {
  await client.query('INSERT INTO effects (n) SELECT unnest($1::integer[])', [items.map((item) => item.event.n)]);
}

test('a poison record in a batch of 50 is dead-lettered alone and the other 49 take effect exactly once', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 50));
  const batchSizes: number[] = [];
  await s.start(async (items, { client }) => {
    batchSizes.push(items.length);
    // The handler cannot tell which record is bad: the runner has to find it.
    if (items.some((item) => item.event.n === 25)) throw new AppError('TEST_RULE_BROKEN', 'n=25 never passes');
    await insertAll(items, client);
    return undefined;
  });
  await eventually(async () => ((await s.committed()) === 50 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(await s.effects(), [...range(1, 24), ...range(26, 25)]);
  assert.deepEqual(
    s.router.routed.map((r) => [r.n, r.failure.kind, r.failure.code]),
    [[25, 'poison', 'TEST_RULE_BROKEN']],
  );
  assert.equal(batchSizes[0], 50, 'the fetch came as one batch');
  assert.ok(batchSizes.length <= 2 * Math.ceil(Math.log2(50)) + 1, `bisection took ${batchSizes.length} calls`);
  assert.equal(await s.inboxRows(), 49, 'no inbox row for the dead-lettered record');
});

test('an infrastructure failure in mid-batch (connection terminated) commits nothing of it, moves no offset, and the batch then succeeds', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 20));
  let terminated = false;
  const seenAfterFailure: Array<{ effects: number[]; committed: number }> = [];
  await s.start(async (items, { client }) => {
    if (!terminated) {
      terminated = true;
      await insertAll(items.slice(0, 10), client);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await s.db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await insertAll(items.slice(10), client);
      return undefined;
    }
    seenAfterFailure.push({ effects: await s.effects(), committed: await s.committed() });
    await insertAll(items, client);
    return undefined;
  });
  await eventually(async () => ((await s.committed()) === 20 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(seenAfterFailure, [{ effects: [], committed: 0 }], 'retried once, whole, with nothing committed');
  assert.deepEqual(await s.effects(), range(1, 20));
  assert.equal(new Set((await s.transactions()).values()).size, 1, 'the retried batch committed as one transaction');
  assert.deepEqual(s.router.routed, []);
});

test('a handler throwing PLT_POSTGRES_UNREACHABLE once has its batch retried whole in place, never routed', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 10));
  const calls: number[] = [];
  await s.start(async (items, { client }) => {
    calls.push(items.length);
    await insertAll(items, client);
    if (calls.length === 1) throw platformError('PLT_POSTGRES_UNREACHABLE', 'database down (injected)');
    return undefined;
  });
  await eventually(async () => ((await s.committed()) === 10 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(calls, [10, 10], 'the same batch again, not split');
  assert.deepEqual(await s.effects(), range(1, 10));
  assert.deepEqual(s.router.routed, []);
});

test('a rejected item goes to the failure router, its inbox row is removed, and the rest of the batch commits', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 10));
  const calls: number[] = [];
  await s.start(async (items, { client }) => {
    calls.push(items.length);
    const rejected = items.filter((item) => item.event.n === 4 || item.event.n === 7);
    await insertAll(
      items.filter((item) => !rejected.includes(item)),
      client,
    );
    return {
      rejected: rejected.map((item) => ({
        index: item.index,
        error:
          item.event.n === 4
            ? new AppError('TEST_OUT_OF_STOCK', 'never passes', { retryable: false })
            : new AppError('TEST_PROVIDER_TIMEOUT', 'later, maybe', { retryable: true }),
      })),
    };
  });
  await eventually(async () => ((await s.committed()) === 10 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(calls, [10], 'one transaction, no split');
  assert.deepEqual(await s.effects(), [1, 2, 3, 5, 6, 8, 9, 10]);
  assert.deepEqual(
    s.router.routed.map((r) => [r.n, r.failure.kind, r.failure.code]),
    [
      [4, 'poison', 'TEST_OUT_OF_STOCK'],
      [7, 'transient', 'TEST_PROVIDER_TIMEOUT'],
    ],
  );
  assert.equal(await s.inboxRows(), 8);
});

test('BatchItemError isolates its item: the items before and after commit as batches, the item is routed', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 10));
  const calls: number[][] = [];
  await s.start(async (items, { client }) => {
    calls.push(items.map((item) => item.event.n));
    const bad = items.find((item) => item.event.n === 6);
    if (bad !== undefined) throw new BatchItemError(bad.index, new AppError('TEST_RULE_BROKEN', 'n=6 never passes'));
    await insertAll(items, client);
    return undefined;
  });
  await eventually(async () => ((await s.committed()) === 10 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(calls, [range(1, 10), range(1, 5), [6], range(7, 4)]);
  assert.deepEqual(await s.effects(), [...range(1, 5), ...range(7, 4)]);
  assert.deepEqual(
    s.router.routed.map((r) => [r.n, r.failure.code]),
    [[6, 'TEST_RULE_BROKEN']],
  );
  const tx = await s.transactions();
  assert.equal(new Set(range(1, 5).map((n) => tx.get(n))).size, 1);
  assert.equal(new Set(range(7, 4).map((n) => tx.get(n))).size, 1);
});

test('bisection with a plain error finds the one failing record', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 16));
  await s.start(async (items, { client }) => {
    if (items.some((item) => item.event.n === 11)) throw new Error('something in here is wrong');
    await insertAll(items, client);
    return undefined;
  });
  await eventually(async () => ((await s.committed()) === 16 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(await s.effects(), [...range(1, 10), ...range(12, 5)]);
  assert.deepEqual(
    s.router.routed.map((r) => [r.n, r.failure.kind]),
    [[11, 'poison']],
  );
});

test('a duplicate delivered in a later batch is not handed to the handler', async (t) => {
  const s = await setup(t);
  const ids = range(1, 5).map(() => randomUUID());
  const seen: number[] = [];
  await s.start(async (items, { client }) => {
    seen.push(...items.map((item) => item.event.n));
    await insertAll(items, client);
    return undefined;
  });
  await s.send(range(1, 5), { eventIds: ids });
  await eventually(async () => ((await s.committed()) === 5 ? true : undefined), 20_000, 'first batch committed');
  // Same event ids again (a redelivery after a crash or a replay), with one new event among them.
  await s.send([1, 2, 6, 3], { eventIds: [ids[0] as string, ids[1] as string, randomUUID(), ids[2] as string] });
  await eventually(async () => ((await s.committed()) === 9 ? true : undefined), 20_000, 'second batch committed');
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(await s.effects(), range(1, 6));
});

test('a hot partition with 5,000 queued records does not delay records on another partition', async (t) => {
  const s = await setup(t, 2);
  const hot = 5_000;
  let hotDone = 0;
  await s.send(range(1, hot), { partition: 0 });
  await s.start(async (items, { client }) => {
    // Slow work on the hot partition: 1 ms per record, so it takes several seconds to drain.
    const hotItems = items.filter((item) => item.record.partition === 0).length;
    await new Promise((resolve) => setTimeout(resolve, hotItems));
    await insertAll(items, client);
    return undefined;
  });
  await eventually(
    async () => {
      hotDone = (await s.effects()).filter((n) => n <= hot).length;
      return hotDone > 0 ? true : undefined;
    },
    20_000,
    'the hot partition started',
  );
  const sentAt = Date.now();
  await s.send([hot + 1, hot + 2, hot + 3], { partition: 1 });
  await eventually(
    async () => ((await s.effects()).includes(hot + 3) ? true : undefined),
    20_000,
    'cold records handled',
  );
  const latency = Date.now() - sentAt;
  const hotAtThatTime = (await s.effects()).filter((n) => n <= hot).length;
  assert.ok(hotAtThatTime < hot, `cold records handled while the hot partition was still draining (${hotAtThatTime})`);
  assert.ok(latency < 2_000, `cold records waited ${latency} ms`);
  await eventually(async () => ((await s.committed()) === hot + 3 ? true : undefined), 60_000, 'everything committed');
});

test('with a slow handler and fewer batch slots than partitions, every partition is served in turn', async (t) => {
  const s = await setup(t, 4);
  for (const partition of [0, 1, 2, 3]) await s.send(range(partition * 100, 8), { partition });
  await s.start(
    async (items, { client }) => {
      // Slow enough that every batch is cut to one record (see OFFSET_COMMIT_INTERVAL_MS).
      await new Promise((resolve) => setTimeout(resolve, 300 * items.length));
      await client.query('INSERT INTO effects (n, p) SELECT * FROM unnest($1::integer[], $2::integer[])', [
        items.map((item) => item.event.n),
        items.map((item) => item.record.partition),
      ]);
      return undefined;
    },
    { initialBatchRecords: 1, maxConcurrentBatches: 2 },
  );
  const served = await eventually(
    async () => {
      const partitions = await s.effectsByPartition();
      return new Set(partitions).size === 4 ? partitions : undefined;
    },
    30_000,
    'every partition served',
  );
  // Served in turn, the fourth partition gets its first record within the first two rounds; served in a
  // fixed order, it would wait for the first two partitions to drain (16 records).
  assert.ok(served.length <= 8, `${served.length} records handled before the last partition's first: ${served}`);
  await eventually(async () => ((await s.committed()) === 32 ? true : undefined), 30_000, 'everything committed');
});

test('a record routed while Kafka is unavailable holds no database connection while the routing is retried', async (t) => {
  const s = await setup(t);
  await s.send(range(1, 5));
  let failures = 2;
  const checkedOutWhileFailing: number[] = [];
  const router: FailureRouter = {
    async route() {
      if (failures > 0) {
        failures--;
        checkedOutWhileFailing.push(s.db.pool.totalCount - s.db.pool.idleCount);
        throw platformError('PLT_KAFKA_UNREACHABLE', 'broker down (injected)');
      }
      return 'dead-lettered';
    },
  };
  await s.start(
    async (items, { client }) => {
      const bad = items.find((item) => item.event.n === 3);
      await insertAll(
        items.filter((item) => item !== bad),
        client,
      );
      return { rejected: bad === undefined ? [] : [{ index: bad.index, error: new AppError('TEST_RULE', 'no') }] };
    },
    { failures: router },
  );
  await eventually(async () => ((await s.committed()) === 5 ? true : undefined), 20_000, 'offsets committed');
  assert.deepEqual(checkedOutWhileFailing, [0, 0], 'no connection checked out while routing was retried');
  assert.deepEqual(await s.effects(), [1, 2, 4, 5]);
});
