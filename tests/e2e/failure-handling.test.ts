/**
 * Failure handling on the real Inventory Service: poison records are dead-lettered with their reason
 * while the partition keeps flowing, and a database outage is waited out in place — nothing dead-lettered,
 * no offset committed past unprocessed work, everything processed once the database is back.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { consumer, deadLetterTopicOf, encodeEvent, FAILURE_HEADERS, newEventMeta, topicName } from '@shop/contracts';
import { createAdmin, createProducer } from '@shop/platform';
import {
  createTestNamespace,
  eventually,
  operatorToken,
  readTopic,
  startTestService,
  testKafkaConnection,
} from '@shop/test-support';
import { http, putStock } from '@shop/test-support/stack';
import pg from 'pg';
import { inventoryService } from '../../services/inventory/src/service.ts';

/** How long the outage lasts. */
const OUTAGE_MS = 20_000;

function orderPlaced(orderId: string, sku: string) {
  const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orderId });
  return encodeEvent({ meta, payload: { orderId, lines: [{ sku, quantity: 1 }] } });
}

async function setup(t: import('node:test').TestContext) {
  const namespace = await createTestNamespace(t, 'failures');
  const inventory = await startTestService(t, inventoryService, { namespace });
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const source = namespace.topic(topicName('orderPlaced'));
  const groupId = namespace.group(consumer('reserveStock').groupId);
  const committed = async (): Promise<Map<number, bigint>> => {
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: source, partitionIndexes: [0, 1, 2, 3, 4, 5] }] }],
    });
    return new Map((group?.topics[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset]));
  };
  return { namespace, inventory, producer, source, committed };
}

async function reservationStatus(url: string, orderId: string): Promise<number> {
  return (await http(`${url}/reservations/${orderId}`, { token: await operatorToken() })).status;
}

test('non-JSON and schema-invalid OrderPlaced records go to the inventory dead-letter topic with the reason, and the records after them are processed', async (t) => {
  const { namespace, inventory, producer, source, committed } = await setup(t);
  const sku = `DLT-${Date.now().toString(36).toUpperCase()}`;
  await putStock(inventory.url, sku, 10);
  const key = randomUUID(); // one key: all four records share a partition
  const valid = orderPlaced(key, sku);
  const later = orderPlaced(randomUUID(), sku);
  const invalid = orderPlaced(key, sku);
  const headers = (record: ReturnType<typeof orderPlaced>) => new Map(Object.entries(record.headers));
  await producer.send({
    messages: [
      { topic: source, key, value: Buffer.from('{"orderId": not json'), headers: headers(orderPlaced(key, sku)) },
      {
        topic: source,
        key,
        value: Buffer.from(JSON.stringify({ orderId: key, lines: [] })),
        headers: headers(invalid),
      },
      { topic: source, key, value: valid.value, headers: headers(valid) },
      { topic: source, key: later.key, value: later.value, headers: headers(later) },
    ],
  });
  await eventually(
    async () => ((await reservationStatus(inventory.url, key)) === 200 ? true : undefined),
    20_000,
    'valid record processed',
  );
  await eventually(
    async () => ((await reservationStatus(inventory.url, later.key)) === 200 ? true : undefined),
    20_000,
    'later record processed',
  );

  const dead = await readTopic(namespace.topic(deadLetterTopicOf('reserveStock').name), 2);
  assert.deepEqual(
    dead.map((r) => r.headers.get(FAILURE_HEADERS.errorCode)?.toString()),
    ['CTR_NOT_JSON', 'CTR_SCHEMA_INVALID'],
  );
  assert.match(dead[1]?.headers.get(FAILURE_HEADERS.errorMessage)?.toString() ?? '', /lines/);
  assert.equal(dead[0]?.headers.get(FAILURE_HEADERS.originalTopic)?.toString(), source);
  const sourceOffsets = dead.map((r) => Number(r.headers.get(FAILURE_HEADERS.originalOffset)?.toString()));
  const partition = Number(dead[0]?.headers.get(FAILURE_HEADERS.originalPartition)?.toString());
  await eventually(
    async () =>
      ((await committed()).get(partition) ?? -1n) > BigInt(Math.max(...sourceOffsets) + 1) ? true : undefined,
    20_000,
    'the group committed past the poison records',
  );
});

test('PostgreSQL unavailable for 20 s while orders flow: nothing dead-lettered, no offset committed for unprocessed work, all processed after', async (t) => {
  const { namespace, inventory, producer, source, committed } = await setup(t);
  const sku = `OUT-${Date.now().toString(36).toUpperCase()}`;
  await putStock(inventory.url, sku, 100);
  const before = await committed();
  const databaseName = inventory.context.config.databaseName;
  // The outage is this service's database only (the rest of the suite shares the server): refuse new
  // connections and cut the existing ones, as a database restart would.
  const admin = new pg.Client({ connectionString: `${inventory.context.config.databaseServerUrl}/postgres` });
  await admin.connect();
  t.after(async () => {
    await admin.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS true`).catch(() => {});
    await admin.end();
  });
  await admin.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [databaseName]);

  const ORDERS = 20;
  const orderIds = Array.from({ length: ORDERS }, () => randomUUID());
  for (const orderId of orderIds) {
    const record = orderPlaced(orderId, sku);
    await producer.send({
      messages: [
        { topic: source, key: record.key, value: record.value, headers: new Map(Object.entries(record.headers)) },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / ORDERS / 2));
  }
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
  assert.deepEqual(await committed(), before, 'no offset committed while the database was down');

  await admin.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS true`);
  for (const orderId of orderIds) {
    await eventually(
      async () => ((await reservationStatus(inventory.url, orderId)) === 200 ? true : undefined),
      60_000,
      `order ${orderId} reserved`,
    );
  }
  const { body } = await http<{ available: number; reserved: number }>(`${inventory.url}/inventory/${sku}`);
  assert.equal(body.reserved, ORDERS, 'each order reserved exactly once');
  // The consumer routes a failed record before it commits past it: once the group committed past every
  // order, any dead letter of theirs is in the topic, and reading it to its end shows there is none.
  const total = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((sum, o) => sum + (o > 0n ? o : 0n), 0n);
  await eventually(
    async () => ((await total(await committed())) >= total(before) + BigInt(ORDERS) ? true : undefined),
    20_000,
    'the group committed past every order',
  );
  const dead = await readTopic(namespace.topic(deadLetterTopicOf('reserveStock').name), 'end');
  assert.equal(dead.length, 0, 'nothing dead-lettered');
});
