import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createTestDatabase, createTestTopics, eventually, testKafkaConnection, uniqueName } from '@shop/test-support';
import { ConsumerRunner, MAX_BATCH_RECORDS } from '../../src/consume/consumer-runner.ts';
import type { BatchHandler, Decoded, KafkaRecord } from '../../src/consume/types.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createAdmin, createProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

interface TestEvent {
  n: number;
}

test('a member losing a partition in a rebalance commits nothing for it and stops working on it; nothing is lost or applied twice', async (t) => {
  const db = await createTestDatabase(t, 'revoke');
  await migrate(db.pool, [platformMigrations]);
  await db.pool.query('CREATE TABLE effects (n integer PRIMARY KEY)');
  const [topic] = await createTestTopics(t, ['revoke'], { partitions: 2 });
  assert.ok(topic);
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  t.after(() => producer.close());
  const groupId = uniqueName('test-group');
  let next = 0;
  const send = (partition: number, count: number) =>
    producer.send({
      messages: Array.from({ length: count }, () => ({
        topic,
        partition,
        key: 'k',
        value: Buffer.from(JSON.stringify({ n: next++ })),
        headers: new Map([['event-id', Buffer.from(randomUUID())]]),
      })),
    });

  /** Offset commits per member, seen through each record's own commit function. */
  const commits = { a: [] as number[], b: [] as number[] };
  const handledBy = { a: [] as number[], b: [] as number[] };
  let releaseA: () => void = () => {};
  const gateA = new Promise<void>((resolve) => {
    releaseA = resolve;
  });
  let aEntered = false;
  const member = (name: 'a' | 'b') => {
    const handleBatch: BatchHandler<TestEvent> = async (items, { client }) => {
      handledBy[name].push(...items.map((item) => item.record.partition));
      if (name === 'a' && !aEntered) {
        aEntered = true;
        await gateA;
      }
      await client.query('INSERT INTO effects (n) SELECT unnest($1::integer[])', [items.map((i) => i.event.n)]);
      return undefined;
    };
    const decode = (record: KafkaRecord): Decoded<TestEvent> => {
      const commit = record.commit.bind(record);
      (record as { commit: unknown }).commit = () => {
        commits[name].push(record.partition);
        return commit();
      };
      return {
        ok: true,
        event: JSON.parse(record.value.toString()) as TestEvent,
        eventId: record.headers.get('event-id')?.toString() ?? '',
      };
    };
    const runner = new ConsumerRunner<TestEvent>({
      name: 'test-consumer',
      groupId,
      topics: [topic],
      connection,
      pool: db.pool,
      logger,
      decode,
      failures: { route: async () => assert.fail('nothing fails here') },
      handleBatch,
      initialBatchRecords: MAX_BATCH_RECORDS,
    });
    t.after(() => runner.stop());
    return runner;
  };

  await send(0, 10);
  await send(1, 10);
  const a = member('a');
  await a.start();
  await eventually(async () => (aEntered ? true : undefined), 20_000, 'member a in its first batch');
  const b = member('b');
  await b.start();
  // The rebalance is done when each member owns one partition.
  const owner = (runner: ConsumerRunner<TestEvent>) => [0, 1].filter((p) => runner.owns(topic, p));
  await eventually(
    async () => (owner(a).length === 1 && owner(b).length === 1 ? true : undefined),
    30_000,
    'the partitions shared between a and b',
  );
  const [lost] = owner(b);
  const [kept] = owner(a);
  assert.ok(lost !== undefined && kept !== undefined);
  const aHandledBeforeRelease = handledBy.a.length;
  assert.deepEqual(
    new Set(handledBy.a),
    new Set([0, 1]),
    "member a's batch in flight holds records of both partitions, the lost one included",
  );
  releaseA();

  // New records on both partitions: each goes to its new owner only.
  await send(0, 5);
  await send(1, 5);
  const committedTotal = async () => {
    const admin = createAdmin(connection);
    try {
      const [group] = await admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0, 1] }] }],
      });
      return (group?.topics[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
    } finally {
      await admin.close();
    }
  };
  await eventually(async () => ((await committedTotal()) === 30 ? true : undefined), 30_000, 'all 30 committed');
  const { rows } = await db.pool.query<{ n: number }>('SELECT n FROM effects ORDER BY n');
  assert.deepEqual(
    rows.map((r) => r.n),
    Array.from({ length: 30 }, (_, n) => n),
    'every record applied exactly once',
  );
  assert.ok(!commits.a.includes(lost), `member a committed nothing for the partition it lost (${commits.a})`);
  assert.ok(
    !handledBy.a.slice(aHandledBeforeRelease).includes(lost),
    'member a handled nothing of the lost partition after the rebalance',
  );
  assert.ok(commits.b.includes(lost), 'the new owner committed the lost partition');
});
