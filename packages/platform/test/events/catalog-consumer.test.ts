import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  consumer as catalogConsumer,
  deadLetterTopicOf,
  encodeEvent,
  FAILURE_HEADERS,
  newEventMeta,
  retryTopicsOf,
  topicName,
} from '@shop/contracts';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  readTopic,
  testKafkaConnection,
} from '@shop/test-support';
import { openRecordSource } from '../../src/consume/ports.ts';
import { migrate } from '../../src/db/migrate.ts';
import { AppError } from '../../src/errors.ts';
import { CatalogConsumer, type EventHandler } from '../../src/events/catalog-consumer.ts';
import { createAdmin, createProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
const SHORT_RETRY_DELAYS_MS = [100, 200, 300];

function orderPlaced(orderId = randomUUID()) {
  const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orderId });
  return encodeEvent({
    meta,
    payload: { orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] },
  });
}

async function setup(t: import('node:test').TestContext, handle: EventHandler) {
  const namespace = await createTestNamespace(t, 'test-failure');
  const db = await createTestDatabase(t, 'failure');
  await migrate(db.pool, [platformMigrations]);
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  t.after(() => producer.close());
  const consumer = new CatalogConsumer({
    consumer: 'reserveStock',
    handle,
    connection,
    namespace,
    pool: db.pool,
    logger,
    producer,
    retryDelaysMs: SHORT_RETRY_DELAYS_MS,
  });
  await consumer.start();
  t.after(() => consumer.stop());
  const source = namespace.topic(topicName('orderPlaced'));
  return { namespace, db, producer, source };
}

test('poison records go to the dead-letter topic with the reason headers, and the partition keeps flowing', async (t) => {
  const handled: string[] = [];
  const { namespace, producer, source } = await setup(t, async (event) => {
    if (event.type === 'OrderPlaced') handled.push(event.payload.orderId);
  });
  const key = randomUUID();
  const before = orderPlaced(key);
  const after = orderPlaced(key);
  const invalid = orderPlaced(key);
  const invalidValue = Buffer.from(JSON.stringify({ ...JSON.parse(invalid.value.toString()), lines: 'none' }));
  await producer.send({
    messages: [
      { topic: source, key, value: before.value, headers: new Map(Object.entries(before.headers)) },
      {
        topic: source,
        key,
        value: Buffer.from('not json{'),
        headers: new Map(Object.entries(orderPlaced(key).headers)),
      },
      { topic: source, key, value: invalidValue, headers: new Map(Object.entries(invalid.headers)) },
      { topic: source, key, value: after.value, headers: new Map(Object.entries(after.headers)) },
    ],
  });
  await eventually(async () => (handled.length === 2 ? true : undefined), 20_000, 'valid records handled');
  assert.deepEqual(handled, [key, key]);

  const dead = await readTopic(namespace.topic(deadLetterTopicOf('reserveStock').name), 2);
  const header = (record: (typeof dead)[number], name: string) => record.headers.get(name)?.toString();
  assert.deepEqual(
    dead.map((r) => header(r, FAILURE_HEADERS.errorCode)),
    ['CTR_NOT_JSON', 'CTR_SCHEMA_INVALID'],
  );
  for (const record of dead) {
    assert.equal(record.key, key, 'original key kept');
    assert.equal(header(record, FAILURE_HEADERS.originalTopic), source);
    assert.equal(header(record, FAILURE_HEADERS.consumerGroup), 'inventory-service.reserve-stock');
    assert.equal(header(record, FAILURE_HEADERS.kind), 'poison');
    assert.equal(header(record, FAILURE_HEADERS.attempts), '1');
    assert.ok(header(record, FAILURE_HEADERS.originalOffset));
    assert.ok(header(record, FAILURE_HEADERS.stackFingerprint));
    assert.ok(header(record, 'event-id'), 'original contract headers kept');
  }
  assert.match(header(dead[1] as never, FAILURE_HEADERS.errorMessage) ?? '', /lines/);
  assert.equal(dead[0]?.value.toString(), 'not json{', 'original value kept byte for byte');
});

test('a record failing transiently twice goes through the retry tiers and is handled once, never dead-lettered', async (t) => {
  let failuresLeft = 2;
  const handled: string[] = [];
  const { namespace, producer, source } = await setup(t, async (event, context) => {
    if (event.type !== 'OrderPlaced') return;
    if (failuresLeft > 0) {
      failuresLeft--;
      throw new AppError('INV_TEST_DOWNSTREAM_TIMEOUT', 'downstream timed out (injected)', { retryable: true });
    }
    handled.push(`${event.payload.orderId}@${context.record.topic}`);
  });
  const record = orderPlaced();
  await producer.send({
    messages: [
      { topic: source, key: record.key, value: record.value, headers: new Map(Object.entries(record.headers)) },
    ],
  });
  await eventually(async () => (handled.length > 0 ? true : undefined), 20_000, 'handled after retries');
  const [tier1, tier2] = retryTopicsOf('reserveStock').map((tier) => namespace.topic(tier.name));
  assert.deepEqual(
    handled,
    [`${record.key}@${tier2}`],
    'handled in the second tier after failing in the source and the first',
  );
  const retried = await readTopic(tier1 as string, 1);
  assert.equal(retried[0]?.headers.get(FAILURE_HEADERS.kind)?.toString(), 'transient');
  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const offsets = await admin.listOffsets({
    topics: [
      {
        name: namespace.topic(deadLetterTopicOf('reserveStock').name),
        partitions: [{ partitionIndex: 0, timestamp: -1n }],
      },
    ],
  });
  assert.equal(Number(offsets[0]?.partitions[0]?.offset), 0, 'nothing dead-lettered');
});

test('a batch handler rejecting one item sends it to the dead-letter topic while the rest of its batch is handled', async (t) => {
  const namespace = await createTestNamespace(t, 'test-batch');
  const db = await createTestDatabase(t, 'batch');
  await migrate(db.pool, [platformMigrations]);
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  t.after(() => producer.close());
  const handled: string[] = [];
  const key = randomUUID();
  const records = [orderPlaced(key), orderPlaced(key), orderPlaced(key)];
  const rejectedId = JSON.parse(records[1]?.value.toString() ?? '{}').orderId as string;
  const consumer = new CatalogConsumer({
    consumer: 'reserveStock',
    handleBatch: async (items) => {
      const rejected = items.filter((item) => item.meta.eventId === records[1]?.headers['event-id']?.toString());
      for (const item of items) if (!rejected.includes(item)) handled.push(item.meta.eventId);
      return {
        rejected: rejected.map((item) => ({
          index: item.index,
          error: new AppError('INV_TEST_RULE', 'never passes', { retryable: false }),
        })),
      };
    },
    connection,
    namespace,
    pool: db.pool,
    logger,
    producer,
    retryDelaysMs: SHORT_RETRY_DELAYS_MS,
  });
  await consumer.start();
  t.after(() => consumer.stop());
  await producer.send({
    messages: records.map((record) => ({
      topic: namespace.topic(topicName('orderPlaced')),
      key,
      value: record.value,
      headers: new Map(Object.entries(record.headers)),
    })),
  });
  const dead = await readTopic(namespace.topic(deadLetterTopicOf('reserveStock').name), 1);
  assert.equal(dead[0]?.headers.get(FAILURE_HEADERS.errorCode)?.toString(), 'INV_TEST_RULE');
  assert.equal(JSON.parse(dead[0]?.value.toString() ?? '{}').orderId, rejectedId);
  await eventually(async () => (handled.length === 2 ? true : undefined), 20_000, 'the other two handled');
  const inbox = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM inbox');
  assert.equal(Number(inbox.rows[0]?.n), 2, 'no inbox row for the rejected record');
});

test('a handler throwing a ContractError dead-letters the record with its CTR_ code, at once and never retried', async (t) => {
  const { namespace, producer, source } = await setup(t, async (event) => {
    if (event.type !== 'OrderPlaced') return;
    // A reply that breaks its own schema: encoding throws before anything reaches the outbox.
    encodeEvent({
      meta: newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: event.payload.orderId }),
      payload: { orderId: event.payload.orderId, lines: [{ sku: 'MUG-RED', quantity: 0 }] },
    });
  });
  const record = orderPlaced();
  await producer.send({
    messages: [
      { topic: source, key: record.key, value: record.value, headers: new Map(Object.entries(record.headers)) },
    ],
  });
  const [dead] = await readTopic(namespace.topic(deadLetterTopicOf('reserveStock').name), 1);
  const header = (name: string) => dead?.headers.get(name)?.toString();
  assert.equal(header(FAILURE_HEADERS.errorCode), 'CTR_SCHEMA_INVALID');
  assert.equal(header(FAILURE_HEADERS.kind), 'poison');
  assert.equal(header(FAILURE_HEADERS.attempts), '1', 'straight from the source topic, no retry tier');
  assert.equal(header(FAILURE_HEADERS.originalTopic), source);
});

test('a catalog consumer whose retry-tier member fails to start stops its started main member and throws', async (t) => {
  const namespace = await createTestNamespace(t, 'test-boot');
  const db = await createTestDatabase(t, 'boot');
  await migrate(db.pool, [platformMigrations]);
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  t.after(() => producer.close());
  let mainOpened: (() => void) | undefined;
  const mainOpen = new Promise<void>((resolve) => {
    mainOpened = resolve;
  });
  const consumer = new CatalogConsumer({
    consumer: 'reserveStock',
    handle: async () => {},
    connection,
    namespace,
    pool: db.pool,
    logger,
    producer,
    // The tier member fails only once the main member has joined its group: the failure comes after a start.
    openSource: async (options) => {
      if (options.topics.some((topic) => topic.endsWith('.retry-1'))) {
        await mainOpen;
        throw new Error('injected: the retry-tier member cannot join');
      }
      const source = await openRecordSource(options);
      mainOpened?.();
      return source;
    },
  });
  t.after(() => consumer.stop());
  await assert.rejects(consumer.start(), /injected/);

  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const group = namespace.group(catalogConsumer('reserveStock').groupId);
  const described = await admin.describeGroups({ groups: [group] });
  assert.equal(described.get(group)?.members.size, 0, 'the main member left its group');
});
