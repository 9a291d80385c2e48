import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSUMER_GROUPS } from '@shop/contracts';
import { createAdmin, createConsumer, createProducer, kafkaNamespace } from '@shop/platform';
import { createTestTopics, testKafkaConnection, uniqueName } from '@shop/test-support';
import { kafkaConsumerGroups } from '../../../infra/kafka/src/kafka-tools.ts';
import { catalogGroups, type GroupLag, LagReader, READER_CLIENT_GROUP_ID } from '../../src/lag/lag-reader.ts';
import { LagTracker } from '../../src/lag/lag-sample.ts';

/** Records produced per partition; the group commits COMMITTED[p] of them (undefined: never commits p). */
const PRODUCED = [5, 4, 3] as const;
const COMMITTED = [2n, 4n, undefined] as const;
/** Records are stamped this far in the past, one second apart, so time lag is known to the millisecond. */
const PAST_MS = 10 * 60_000;
const RECORD_SPACING_MS = 1_000;

interface Fixture {
  topic: string;
  group: string;
  base: number;
  connection: Awaited<ReturnType<typeof testKafkaConnection>>;
}

/** A topic with PRODUCED records and a group holding COMMITTED offsets on it, nobody consuming. */
async function fixture(t: import('node:test').TestContext): Promise<Fixture> {
  const [topic] = await createTestTopics(t, ['lag'], { partitions: PRODUCED.length });
  if (topic === undefined) throw new Error('no topic');
  const connection = await testKafkaConnection();
  const group = uniqueName('test.lag-group');
  const base = Date.now() - PAST_MS;
  const producer = createProducer(connection);
  try {
    await producer.send({
      messages: PRODUCED.flatMap((count, partition) =>
        Array.from({ length: count }, (_, i) => ({
          topic,
          partition,
          key: `k${partition}`,
          value: Buffer.from(`r${i}`),
          timestamp: BigInt(base + i * RECORD_SPACING_MS),
        })),
      ),
    });
  } finally {
    await producer.close();
  }
  const admin = createAdmin(connection);
  try {
    // Commits as a consumer that read part of the topic would (an empty group accepts offset commits).
    await admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [
        {
          name: topic,
          partitionOffsets: COMMITTED.flatMap((offset, partition) =>
            offset === undefined ? [] : [{ partition, offset }],
          ),
        },
      ],
    });
  } finally {
    await admin.close();
  }
  t.after(async () => {
    const cleanup = createAdmin(connection);
    await cleanup.deleteGroups({ groups: [group] }).catch(() => {});
    await cleanup.close();
  });
  return { topic, group, base, connection };
}

async function readLag(f: Fixture): Promise<GroupLag> {
  const reader = new LagReader(f.connection);
  try {
    const [lag] = await reader.read([{ group: f.group, topics: [f.topic] }]);
    assert.ok(lag);
    return lag;
  } finally {
    await reader.close();
  }
}

/** The rows of `kafka-consumer-groups --describe`: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ... */
function parseDescribe(
  stdout: string,
): { topic: string; partition: number; current: string; end: string; lag: string }[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 6 && cells[0] !== 'GROUP' && cells[0] !== '')
    .map(([, topic = '', partition = '', current = '', end = '', lag = '']) => ({
      topic,
      partition: Number(partition),
      current,
      end,
      lag,
    }));
}

test('lag reader should agree with kafka-consumer-groups --describe on committed, log-end offsets and lag', async (t) => {
  const f = await fixture(t);
  // Nothing produces or commits meanwhile, so both readings see the same moment.
  const [ours, theirs] = await Promise.all([
    readLag(f),
    kafkaConsumerGroups(['--describe', '--group', f.group], { bootstrapServers: f.connection.bootstrapServers }),
  ]);
  assert.equal(theirs.exitCode, 0, theirs.stderr);
  const rows = parseDescribe(theirs.stdout);
  // The tool lists the partitions the group committed (it has no members); so must we, with their figures.
  assert.deepEqual(
    rows.map((row) => `${row.topic}/${row.partition}`),
    ['/0', '/1'].map((suffix) => `${f.topic}${suffix}`),
  );
  for (const row of rows) {
    const partition = ours.partitions.find((p) => p.topic === row.topic && p.partition === row.partition);
    assert.ok(partition, `partition ${row.partition} read`);
    assert.equal(String(partition.committedOffset), row.current, `current offset of ${row.partition}`);
    assert.equal(String(partition.logEndOffset), row.end, `log-end offset of ${row.partition}`);
    assert.equal(String(partition.lag), row.lag, `lag of ${row.partition}`);
  }
  assert.deepEqual(
    ours.partitions.map((p) => [p.partition, p.committedOffset, p.logEndOffset, p.lag]),
    [
      [0, 2n, 5n, 3n],
      [1, 4n, 4n, 0n],
      [2, undefined, 3n, undefined],
    ],
  );
  assert.equal(ours.members, 0);
  assert.equal(ours.error, undefined);
});

test('lag reader should agree with kafka-consumer-groups --describe while a live member consumes and commits', async (t) => {
  const [topic] = await createTestTopics(t, ['lag-live'], { partitions: 1 });
  if (topic === undefined) throw new Error('no topic');
  const connection = await testKafkaConnection();
  const group = uniqueName('test.lag-live');
  const produced = 6;
  const consumedBeforeCheck = 4;
  const producer = createProducer(connection);
  await producer.send({
    messages: Array.from({ length: produced }, (_, i) => ({ topic, key: 'k', value: Buffer.from(`r${i}`) })),
  });
  await producer.close();
  const consumer = createConsumer(connection, group);
  t.after(async () => {
    await consumer.close(true).catch(() => {});
    const admin = createAdmin(connection);
    await admin.deleteGroups({ groups: [group] }).catch(() => {});
    await admin.close();
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 });
  let seen = 0;
  let checked = false;
  for await (const record of stream) {
    seen++;
    if (seen < consumedBeforeCheck) continue;
    await record.commit();
    // Still a member (inside the loop): the group is Stable with one consumer while both tools look.
    const f: Fixture = { topic, group, base: 0, connection };
    const [ours, theirs] = await Promise.all([
      readLag(f),
      kafkaConsumerGroups(['--describe', '--group', group], { bootstrapServers: connection.bootstrapServers }),
    ]);
    assert.equal(theirs.exitCode, 0, theirs.stderr);
    const rows = parseDescribe(theirs.stdout);
    assert.deepEqual(
      rows.map((row) => [row.partition, row.current, row.end, row.lag]),
      [[0, String(consumedBeforeCheck), String(produced), String(produced - consumedBeforeCheck)]],
    );
    assert.deepEqual(
      ours.partitions.map((p) => [p.partition, p.committedOffset, p.logEndOffset, p.lag, p.timeLagSource]),
      [[0, BigInt(consumedBeforeCheck), BigInt(produced), BigInt(produced - consumedBeforeCheck), 'record']],
    );
    assert.equal(ours.state, 'Stable');
    assert.equal(ours.members, 1);
    checked = true;
    break;
  }
  assert.ok(checked, 'the consumer reached the check');
});

test('lag reader should measure time lag from the timestamp of the record at the committed offset', async (t) => {
  const f = await fixture(t);
  const lag = await readLag(f);
  const [p0, p1, p2] = lag.partitions;
  // p0 committed 2: the first unconsumed record is the third one produced.
  assert.equal(p0?.timeLagSource, 'record');
  assert.equal(p0?.timeLagMs, lag.readAt - (f.base + 2 * RECORD_SPACING_MS));
  assert.ok((p0?.timeLagMs ?? 0) >= PAST_MS - 2 * RECORD_SPACING_MS);
  assert.deepEqual([p1?.timeLagSource, p1?.timeLagMs], ['caught-up', 0]);
  assert.deepEqual([p2?.timeLagSource, p2?.timeLagMs], ['none', undefined]);
});

test('lag reader should give a lower-bound time lag from the log start when retention deleted the committed record', async (t) => {
  const f = await fixture(t);
  const admin = createAdmin(f.connection);
  try {
    await admin.deleteRecords({ topics: [{ name: f.topic, partitions: [{ partition: 0, offset: 3n }] }] });
  } finally {
    await admin.close();
  }
  const lag = await readLag(f);
  const p0 = lag.partitions[0];
  assert.equal(p0?.logStartOffset, 3n);
  assert.equal(p0?.lag, 3n);
  assert.equal(p0?.timeLagSource, 'log-start');
  assert.equal(p0?.timeLagMs, lag.readAt - (f.base + 3 * RECORD_SPACING_MS));
});

test('a retry tier with nothing to consume should read OK (idle), not UNKNOWN; one with records and no commit UNKNOWN', async (t) => {
  // A retry tier as it spends most of its life: its topics exist, nothing failed, its group never committed.
  const [empty, emptied, waiting] = await createTestTopics(t, ['lag-idle', 'lag-emptied', 'lag-waiting'], {
    partitions: 2,
  });
  if (empty === undefined || emptied === undefined || waiting === undefined) throw new Error('no topics');
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  try {
    await producer.send({
      messages: [
        { topic: emptied, partition: 0, key: 'k', value: Buffer.from('r0') },
        { topic: emptied, partition: 0, key: 'k', value: Buffer.from('r1') },
        { topic: waiting, partition: 1, key: 'k', value: Buffer.from('r0') },
      ],
    });
  } finally {
    await producer.close();
  }
  const admin = createAdmin(connection);
  try {
    // Retention's effect, at once: log start moves up to the log end, the partition holds no record.
    await admin.deleteRecords({ topics: [{ name: emptied, partitions: [{ partition: 0, offset: 2n }] }] });
  } finally {
    await admin.close();
  }
  const idleGroup = uniqueName('test.lag-idle.retry-1');
  const waitingGroup = uniqueName('test.lag-waiting.retry-1');
  const reader = new LagReader(connection);
  t.after(() => reader.close());
  const tracker = new LagTracker();
  const readings = await reader.read([
    { group: idleGroup, topics: [empty, emptied] },
    { group: waitingGroup, topics: [waiting] },
  ]);
  tracker.add(readings);
  const offsets = (readings[0]?.partitions ?? []).map((p) => [
    `${p.topic}/${p.partition}`,
    p.logStartOffset,
    p.logEndOffset,
    p.committedOffset,
  ]);
  assert.deepEqual(
    new Map(offsets.map(([key, ...rest]) => [key, rest])),
    new Map([
      [`${empty}/0`, [0n, 0n, undefined]],
      [`${empty}/1`, [0n, 0n, undefined]],
      [`${emptied}/0`, [2n, 2n, undefined]],
      [`${emptied}/1`, [0n, 0n, undefined]],
    ]),
  );
  assert.deepEqual(
    [...tracker.statuses()],
    [
      [idleGroup, 'OK'],
      [waitingGroup, 'UNKNOWN'],
    ],
  );
});

test('lag reader should never join or create a consumer group of its own', async (t) => {
  const f = await fixture(t);
  await readLag(f);
  const admin = createAdmin(f.connection);
  try {
    const groups = await admin.listGroups();
    assert.equal(groups.has(READER_CLIENT_GROUP_ID), false);
  } finally {
    await admin.close();
  }
});

test('catalog groups should include every main and retry-tier group, namespaced', () => {
  const namespace = kafkaNamespace('ns-x');
  const groups = catalogGroups(namespace);
  assert.equal(groups.length, CONSUMER_GROUPS.length);
  assert.ok(groups.some((g) => g.group.endsWith('.retry') && g.topics.length === 3));
  for (const g of groups) {
    assert.ok(g.group.startsWith('ns-x.'));
    assert.ok(g.topics.length > 0 && g.topics.every((topic) => topic.startsWith('ns-x.')));
  }
});
