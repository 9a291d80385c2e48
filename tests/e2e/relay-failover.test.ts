/**
 * Two processes of the Order Service on one database: exactly one outbox relay leads (a session advisory
 * lock), and when its process is SIGKILLed the other one takes over within seconds, so orders placed on the
 * survivor are published without anyone restarting anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADERS, topicName } from '@shop/contracts';
import { dropDatabase, ensureDatabase } from '@shop/platform';
import {
  type ChildService,
  createTestNamespace,
  eventually,
  freePort,
  readTopic,
  spawnService,
  TEST_RETRY_DELAYS_MS,
  testBootstrapServers,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import { placeOrder } from '@shop/test-support/stack';

const ORDER_ENTRY = 'services/order/src/main.ts';
const LEADER_LINE = 'outbox relay is the leader for this database';
/** A standby tries to lead once per poll interval (1 s); allow for a busy machine. */
const FAILOVER_BOUND_MS = 10_000;

const leads = (service: ChildService) => service.output.some((line) => line.includes(LEADER_LINE));

async function published(topic: string, orderId: string): Promise<boolean> {
  return (await readTopic(topic, 'end')).some(
    (record) => record.key === orderId && record.headers.get(HEADERS.eventType)?.toString() === 'OrderPlaced',
  );
}

test('the outbox relay should fail over to the other instance within seconds when the leading instance is killed', async (t) => {
  const namespace = await createTestNamespace(t, 'relay-failover');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_orders_failover', '_');
  await ensureDatabase(serverUrl, databaseName);
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: serverUrl,
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: namespace.prefix,
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
    // The relay says when it takes the lead at info.
    LOG_LEVEL: 'info',
  };
  t.after(() => dropDatabase(serverUrl, databaseName));
  const first = await spawnService(t, ORDER_ENTRY, await freePort(), env);
  const second = await spawnService(t, ORDER_ENTRY, await freePort(), env);
  const instances = [first, second];
  const leader = await eventually(async () => instances.find(leads), 20_000, 'one relay leads');
  const standby = instances.find((instance) => instance !== leader) as ChildService;
  const topic = namespace.topic(topicName('orderPlaced'));

  // Placed on the standby, published by the leader: one relay serves both instances' orders.
  const before = await placeOrder(standby.url, [{ sku: 'FAILOVER-1', quantity: 1 }]);
  await eventually(
    async () => ((await published(topic, before)) ? true : undefined),
    20_000,
    'published by the leader',
  );
  assert.equal(leads(standby), false, 'only one relay leads at a time');

  await leader.kill('SIGKILL');
  const killedAt = Date.now();
  const after = await placeOrder(standby.url, [{ sku: 'FAILOVER-1', quantity: 1 }]);
  await eventually(
    async () => ((await published(topic, after)) ? true : undefined),
    30_000,
    'published after failover',
  );
  const failoverMs = Date.now() - killedAt;
  assert.ok(leads(standby), 'the survivor took the lead');
  // readTopic waits 1.5 s of quiet per read, so this bound includes that.
  assert.ok(failoverMs <= FAILOVER_BOUND_MS, `published ${failoverMs} ms after the leader was killed`);
});
