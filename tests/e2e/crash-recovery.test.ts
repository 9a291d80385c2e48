/**
 * A service that crashes after its commit but before publishing (docs/design/eventual-consistency.md), and the consumer-crash window, with real process kills (SIGKILL: no shutdown hook runs).
 * The Inventory Service runs as a child process on a database the test owns, so a restarted process finds
 * exactly what the killed one committed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADERS, topicName } from '@shop/contracts';
import { dropDatabase, ensureDatabase } from '@shop/platform';
import {
  createTestNamespace,
  eventually,
  freePort,
  operatorToken,
  readTopic,
  spawnService,
  startTestService,
  TEST_RETRY_DELAYS_MS,
  testBootstrapServers,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import { http, placeOrder, putStock, settled, simulatedPaymentService } from '@shop/test-support/stack';
import { notificationService } from '../../services/notification/src/service.ts';
import { orderService } from '../../services/order/src/service.ts';

const INVENTORY_ENTRY = 'services/inventory/src/main.ts';

async function setup(t: import('node:test').TestContext) {
  const namespace = await createTestNamespace(t, 'crash');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_inventory_crash', '_');
  await ensureDatabase(serverUrl, databaseName);
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: serverUrl,
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: namespace.prefix,
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
  };
  const order = await startTestService(t, orderService, { namespace });
  await startTestService(t, notificationService, { namespace });
  // The order saga confirms an order only once its payment is captured.
  await startTestService(t, simulatedPaymentService(), { namespace });
  // Registered after the services' own cleanup, so it runs before it... and the children are gone by then.
  t.after(() => dropDatabase(serverUrl, databaseName));
  return { namespace, env, order };
}

/** The order's answers to OrderPlaced (the topic also carries the replies to CommitReservation and ReleaseReservation). */
const RESERVATION_ANSWERS = new Set(['InventoryReserved', 'InventoryFailed']);

async function resultsFor(topic: string, orderId: string) {
  // Called once the order settled, so its reservation result is in the log: 'end' reads it and any second one.
  return (await readTopic(topic, 'end')).filter(
    (record) =>
      record.key === orderId && RESERVATION_ANSWERS.has(record.headers.get(HEADERS.eventType)?.toString() ?? ''),
  );
}

test('a relay killed after the reservation committed publishes the result after restart, with no second effect', async (t) => {
  const { namespace, env, order } = await setup(t);
  // First life: the relay is off, so the reservation and its outbox row commit but nothing is published —
  // the state of a service that "crashes after reserving stock but before publishing".
  const first = await spawnService(t, INVENTORY_ENTRY, await freePort(), { ...env, OUTBOX_RELAY_ENABLED: 'false' });
  const sku = uniqueName('CRASH').toUpperCase().slice(0, 30);
  await putStock(first.url, sku, 5);
  const orderId = await placeOrder(order.url, [{ sku, quantity: 2 }]);
  await eventually(
    async () =>
      (await http(`${first.url}/reservations/${orderId}`, { token: await operatorToken() })).status === 200
        ? true
        : undefined,
    20_000,
    'reservation committed',
  );
  const pending = await http<{ status: string }>(`${order.url}/orders/${orderId}`, { token: await operatorToken() });
  assert.equal(pending.body.status, 'PENDING', 'the result was not published');
  await first.kill('SIGKILL');

  const second = await spawnService(t, INVENTORY_ENTRY, await freePort(), env);
  const outcome = await settled(order.url, orderId);
  assert.equal(outcome.status, 'CONFIRMED');
  const results = await resultsFor(namespace.topic(topicName('reservationResults')), orderId);
  assert.equal(results.length, 1, 'exactly one reservation result was published');
  const { body: product } = await http<{ available: number; reserved: number; sold: number }>(
    `${second.url}/inventory/${sku}`,
  );
  assert.equal(product.available, 3, 'stock reserved once');
});

test('a consumer killed between its database commit and its offset commit has no second effect when the event is redelivered', async (t) => {
  const { namespace, env, order } = await setup(t);
  const stock = await spawnService(t, INVENTORY_ENTRY, await freePort(), env);
  const sku = uniqueName('KILL').toUpperCase().slice(0, 30);
  await putStock(stock.url, sku, 5);
  await stock.kill('SIGTERM');

  const doomed = await spawnService(t, INVENTORY_ENTRY, await freePort(), {
    ...env,
    FAULT_KILL_AFTER_COMMIT: 'reserveStock',
  });
  const orderId = await placeOrder(order.url, [{ sku, quantity: 2 }]);
  await eventually(
    async () => (doomed.output.some((line) => line.includes('FAULT_KILL_AFTER_COMMIT')) ? true : undefined),
    20_000,
    'the injected kill',
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  const restarted = await spawnService(t, INVENTORY_ENTRY, await freePort(), env);
  const outcome = await settled(order.url, orderId);
  assert.equal(outcome.status, 'CONFIRMED');
  const { body: reservation } = await http<{ status: string }>(`${restarted.url}/reservations/${orderId}`, {
    token: await operatorToken(),
  });
  assert.ok(reservation.status);
  const { body: product } = await http<{ available: number; reserved: number; sold: number }>(
    `${restarted.url}/inventory/${sku}`,
  );
  assert.equal(product.available, 3, 'the redelivered OrderPlaced reserved nothing more');
  const results = await resultsFor(namespace.topic(topicName('reservationResults')), orderId);
  assert.equal(results.length, 1, 'one reservation result');
});
