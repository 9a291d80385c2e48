import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '@platformatic/kafka';
import { createTestTopics, testKafkaConnection, uniqueName } from '@shop/test-support';
import { createAdmin, createConsumer, createProducer, type KafkaConsumer } from '../../src/kafka/clients.ts';

type Record = Message<string, Buffer, string, Buffer>;

/**
 * Reads from `consumer` until `count` records arrived (or `count` as a predicate, given each record, says
 * enough); commits each one when `commit` is set.
 */
async function readRecords(
  consumer: KafkaConsumer,
  topic: string,
  count: number | ((record: Record) => boolean),
  commit = false,
): Promise<Record[]> {
  const records: Record[] = [];
  const enough = typeof count === 'number' ? () => records.length >= count : count;
  const stream = await consumer.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    maxWaitTime: 200,
  });
  try {
    for await (const message of stream) {
      records.push(message);
      if (commit) await message.commit();
      if (enough(message)) break;
    }
  } finally {
    await stream.close();
  }
  return records;
}

test('idempotent producer should deliver every record exactly once when sends run concurrently', async (t) => {
  const [topic] = await createTestTopics(t, ['concurrent'], { partitions: 3 });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const SENDS = 20;
  const PER_SEND = 25;
  // Regression guard for the pre-2.3.0 client bug where concurrent sends reused a sequence number and the
  // broker silently dropped all but one batch.
  await Promise.all(
    Array.from({ length: SENDS }, (_, send) =>
      producer.send({
        messages: Array.from({ length: PER_SEND }, (_, i) => ({
          topic,
          key: `key-${i % 7}`,
          value: Buffer.from(`${send}:${i}`),
        })),
      }),
    ),
  );
  // What the producer's exactly-once is judged on is the log (below); the reading only shows every record
  // is there. It counts distinct values: a consumer that rejoins its group on a loaded machine (nothing is
  // committed here) fetches some records again, which says nothing about the producer.
  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-group'));
  t.after(() => consumer.close(true));
  const values = new Set<string>();
  await readRecords(consumer, topic, (record) => {
    values.add(record.value.toString());
    return values.size >= SENDS * PER_SEND;
  });
  assert.equal(values.size, SENDS * PER_SEND);

  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const offsets = await admin.listOffsets({
    topics: [{ name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
  });
  const total = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  assert.equal(total, SENDS * PER_SEND, 'the log holds no duplicates either');
});

test('records should keep their headers and records with the same key should land on the same partition', async (t) => {
  const [topic] = await createTestTopics(t, ['headers'], { partitions: 6 });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const KEYS = ['order-a', 'order-b', 'order-c', 'order-d'];
  const PER_KEY = 10;
  const messages = KEYS.flatMap((key) =>
    Array.from({ length: PER_KEY }, (_, i) => ({
      topic,
      key,
      value: Buffer.from(String(i)),
      headers: new Map([
        ['event-id', Buffer.from(`${key}-${i}`)],
        ['traceparent', Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')],
      ]),
    })),
  );
  await producer.send({ messages });

  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-group'));
  t.after(() => consumer.close(true));
  const records = await readRecords(consumer, topic, messages.length);
  const partitionsByKey = new Map<string, Set<number>>();
  const sequenceByKey = new Map<string, number[]>();
  for (const record of records) {
    assert.equal(record.headers.get('event-id')?.toString(), `${record.key}-${record.value.toString()}`);
    assert.match(record.headers.get('traceparent')?.toString() ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const partitions = partitionsByKey.get(record.key) ?? new Set();
    partitions.add(record.partition);
    partitionsByKey.set(record.key, partitions);
    sequenceByKey.set(record.key, [...(sequenceByKey.get(record.key) ?? []), Number(record.value.toString())]);
  }
  for (const key of KEYS) {
    assert.equal(partitionsByKey.get(key)?.size, 1, `all records of ${key} on one partition`);
    assert.deepEqual(
      sequenceByKey.get(key),
      Array.from({ length: PER_KEY }, (_, i) => i),
      `${key} read in order`,
    );
  }
});

test('a consumer group should resume from its committed offsets after a restart', async (t) => {
  const [topic] = await createTestTopics(t, ['resume'], { partitions: 1 });
  assert.ok(topic);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const TOTAL = 20;
  const FIRST = 8;
  await producer.send({
    messages: Array.from({ length: TOTAL }, (_, i) => ({ topic, key: 'k', value: Buffer.from(String(i)) })),
  });
  const groupId = uniqueName('test-group');

  const first = createConsumer(await testKafkaConnection(), groupId);
  const firstBatch = await readRecords(first, topic, FIRST, true);
  await first.close();
  assert.deepEqual(
    firstBatch.map((r) => r.value.toString()),
    Array.from({ length: FIRST }, (_, i) => String(i)),
  );

  const second = createConsumer(await testKafkaConnection(), groupId);
  t.after(() => second.close(true));
  const rest = await readRecords(second, topic, TOTAL - FIRST);
  assert.deepEqual(
    rest.map((r) => r.value.toString()),
    Array.from({ length: TOTAL - FIRST }, (_, i) => String(i + FIRST)),
    'the restarted member starts right after the last committed record: nothing lost, nothing repeated',
  );
});
