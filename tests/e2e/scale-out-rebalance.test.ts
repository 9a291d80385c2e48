/**
 * Scaling out and back in under load: a second instance of every service joins while orders flow (its
 * consumers take partitions over from the first instances) and later leaves (it hands them back). The
 * chaos suite's independent checker, reading the databases and topics, must find every order settled once:
 * a rebalance commits nothing for partitions a member no longer owns, and the inbox absorbs what the new
 * owner sees again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_AUTH_SECRET, testBootstrapServers, testKafkaSecurity, testPostgresUrl } from '@shop/test-support';
import { putStock, restartService, simulatedPaymentService, startStack } from '@shop/test-support/stack';
import pg from 'pg';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { notificationService } from '../../services/notification/src/service.ts';
import { orderService } from '../../services/order/src/service.ts';
import { runChaosLoad } from '../../tools/src/chaos/chaos-load.ts';
import { checkInvariants } from '../../tools/src/chaos/invariant-checker.ts';

const RATE = 15;
const DURATION_SECONDS = 30;
const JOIN_AT_MS = 8_000;
const LEAVE_AT_MS = 20_000;
const SKUS = ['SCALE-1', 'SCALE-2', 'SCALE-3', 'SCALE-4'];

test('an instance of every service added and then removed during load should leave every order settled exactly once', async (t) => {
  const stack = await startStack(t);
  for (const sku of SKUS) await putStock(stack.inventory.url, sku, 10_000);
  const serverUrl = await testPostgresUrl();
  const databases = {
    order: stack.order.context.config.databaseName,
    inventory: stack.inventory.context.config.databaseName,
    payment: stack.payment.context.config.databaseName,
    notification: stack.notification.context.config.databaseName,
  };
  const inventoryDb = new pg.Client({ connectionString: `${serverUrl}/${databases.inventory}` });
  await inventoryDb.connect();
  const { rows } = await inventoryDb.query<{ sku: string; units: number }>(
    'SELECT sku, available + reserved + sold AS units FROM products',
  );
  await inventoryDb.end();

  const scale = (async () => {
    await sleep(JOIN_AT_MS);
    const added = [
      await restartService(t, orderService, stack.order),
      await restartService(t, inventoryService, stack.inventory),
      await restartService(t, simulatedPaymentService(), stack.payment),
      await restartService(t, notificationService, stack.notification),
    ];
    await sleep(LEAVE_AT_MS - JOIN_AT_MS);
    // Graceful: each leaves its groups after committing what it finished, and its partitions move back.
    for (const service of added) await service.stop();
  })();
  const load = await runChaosLoad({
    orderUrls: [stack.order.url],
    authSecret: TEST_AUTH_SECRET,
    rate: RATE,
    durationSeconds: DURATION_SECONDS,
    drainSeconds: 90,
    plentifulSkus: SKUS,
    scarceSkus: [],
    scarceShare: 0,
    cancelShare: 0.05,
  });
  await scale;
  assert.equal(load.unanswered, 0);
  assert.deepEqual(load.notFinalInAnswers, []);
  // Notifications and stock commits follow the outcome on their own consumers: let them land.
  let report = await check();
  for (let attempt = 0; attempt < 20 && !report.ok; attempt++) {
    await sleep(1_000);
    report = await check();
  }
  for (const invariant of report.invariants) {
    assert.ok(
      invariant.ok,
      `${invariant.name}: ${invariant.violations} violation(s): ${invariant.examples.join('; ')}`,
    );
  }
  assert.equal(report.orders.accepted, RATE * DURATION_SECONDS);

  async function check() {
    return checkInvariants({
      serverUrl,
      databases,
      bootstrapServers: await testBootstrapServers(),
      security: testKafkaSecurity(),
      namespace: stack.namespace.prefix,
      accepted: load.accepted,
      cancelledAfterConfirmation: load.cancelled,
      initialUnits: new Map(rows.map((row) => [row.sku, Number(row.units)])),
    });
  }
});
