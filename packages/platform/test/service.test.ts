import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { CONSUMER_GROUPS, encodeEvent, newEventMeta } from '@shop/contracts';
import {
  createTestNamespace,
  eventually,
  TEST_AUTH_SECRET,
  testBootstrapServers,
  testKafkaConnection,
  testKafkaSecurityEnv,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import { dropDatabase } from '../src/db/databases.ts';
import { connect } from '../src/db/pool.ts';
import { createAdmin, createProducer } from '../src/kafka/clients.ts';
import { platformMigrations } from '../src/platform-migrations.ts';
import { startService } from '../src/service.ts';

test('a boot that fails after its consumers started (the HTTP port is taken) stops them before it throws', async (t) => {
  const namespace = await createTestNamespace(t, 'test-boot');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as { port: number }).port;
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_boot', '_').toLowerCase();
  t.after(() => dropDatabase(serverUrl, databaseName));
  let consumed = false;

  await assert.rejects(
    startService(
      {
        name: 'inventory-service',
        defaultPort: port,
        defaultDatabase: databaseName,
        migrations: [platformMigrations],
        async start(context) {
          await context.consume('reserveStock', async () => {});
          consumed = true;
        },
      },
      {
        KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
        ...testKafkaSecurityEnv(),
        DATABASE_URL: serverUrl,
        DATABASE_NAME: databaseName,
        KAFKA_NAMESPACE: namespace.prefix,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        AUTH_JWT_SECRET: TEST_AUTH_SECRET,
      },
    ),
    { code: 'EADDRINUSE' },
  );
  assert.ok(consumed, 'the consumer had started before the boot failed');
  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const groups = CONSUMER_GROUPS.filter((group) => group.consumerId === 'reserveStock').map((group) =>
    namespace.group(group.groupId),
  );
  const described = await admin.describeGroups({ groups });
  assert.deepEqual(
    groups.map((group) => described.get(group)?.members.size),
    [0, 0],
    'both members of the consumer left their groups',
  );
});

// Regression: consumers shared the service's one pool with the HTTP routes; under a burst of requests every
// connection was taken and the consumers' batches failed to get one, so settling stopped (found by the chaos
// run). The consumers now have their own pool: with every request connection held, a record is consumed.
test('a service should keep consuming while every connection of its request pool is taken', async (t) => {
  const namespace = await createTestNamespace(t, 'test-pools');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_pools', '_').toLowerCase();
  t.after(() => dropDatabase(serverUrl, databaseName));
  const handled: string[] = [];
  const running = await startService(
    {
      name: 'inventory-service',
      defaultPort: 0,
      defaultDatabase: databaseName,
      migrations: [platformMigrations],
      async start(context) {
        await context.consume('reserveStock', async (event) => {
          handled.push((event.payload as { orderId: string }).orderId);
        });
      },
    },
    {
      KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
      ...testKafkaSecurityEnv(),
      DATABASE_URL: serverUrl,
      DATABASE_NAME: databaseName,
      KAFKA_NAMESPACE: namespace.prefix,
      PORT: '0',
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: TEST_AUTH_SECRET,
    },
  );
  t.after(() => running.stop());
  const { pool, consumerPool } = running.context;
  assert.notEqual(pool, consumerPool);
  const held = await Promise.all(Array.from({ length: pool.options.max ?? 0 }, () => connect(pool)));
  assert.equal(pool.idleCount + (pool.options.max ?? 0) - pool.totalCount, 0, 'no request connection is free');

  const orderId = randomUUID();
  const record = encodeEvent({
    meta: newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orderId }),
    payload: { orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] },
  });
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  await producer.send({
    messages: [
      {
        topic: namespace.topic(record.topic),
        key: record.key,
        value: record.value,
        headers: new Map(Object.entries(record.headers)),
      },
    ],
  });
  try {
    await eventually(async () => (handled.includes(orderId) ? true : undefined), 30_000, 'the record consumed');
  } finally {
    // Before the service stops: ending its pool waits for every checked-out connection.
    for (const client of held) client.release();
  }
});
