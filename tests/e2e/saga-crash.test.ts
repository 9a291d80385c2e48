/**
 * Failures the order saga must survive.
 * - The Order Service SIGKILLed mid-saga (no shutdown hook runs) with orders waiting for their payment and
 *   customer cancellations in flight. Restarted on the same database and namespace, every saga resumes from
 *   its persisted state and finishes; money and stock add up: one capture per confirmed order, every other
 *   capture refunded once, no unit lost or sold twice.
 * - A compensation that keeps failing: the saga parks in COMPENSATION_FAILED where an operator sees it, and
 *   the operator's retry resumes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dropDatabase, ensureDatabase } from '@shop/platform';
import {
  createTestNamespace,
  eventually,
  freePort,
  operatorToken,
  spawnService,
  startTestService,
  TEST_RETRY_DELAYS_MS,
  testBootstrapServers,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import {
  cancelOrder,
  declineCustomers,
  describeSaga,
  getOrder,
  notifications,
  type OrderBody,
  orderWhere,
  paymentsOf,
  placeOrder,
  product,
  putStock,
  restartService,
  sagaFinished,
  simulatedPaymentService,
  startStack,
} from '@shop/test-support/stack';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { notificationService } from '../../services/notification/src/service.ts';

const ORDER_ENTRY = 'services/order/src/main.ts';
const REPO_ROOT = new URL('../..', import.meta.url);
const execFileAsync = promisify(execFile);
const ORDERS = 30;
/** Orders that should be waiting for their payment when the Order Service is killed. */
const CHARGING_AT_KILL = 20;
/** Gateway latency: each charge takes this long, so charges pile up in CHARGING. */
const GATEWAY_LATENCY_MS = 1_500;
/** Longest the test watches for CHARGING_AT_KILL sagas charging at once before it kills with what it has. */
const WATCH_FOR_CHARGING_MS = 60_000;
/** Every DECLINE_EVERY-th order's customer has a card the gateway declines (deterministic, unlike a rate). */
const DECLINE_EVERY = 5;
/** Orders the customer cancels right before the kill, while their charge is in flight. */
const CANCELLED_AT_KILL = 3;
/** How long the Order Service stays dead while the others keep answering its commands. */
const DEAD_MS = 3_000;
/** Order Service step timeout: short enough that restarted sagas also re-send. */
const STEP_TIMEOUT_MS = 4_000;
/** Everything resumed and finished within this after the restart. */
const FINISH_TIMEOUT_MS = 60_000;
/** How long the test waits after the notifications for a duplicate to show up. */
const NOTIFICATION_QUIET_MS = 1_500;
/** Step timeout and attempts of the parking test: the refund is given up on within a couple of seconds. */
const PARK_STEP_TIMEOUT_MS = 500;
const PARK_MAX_ATTEMPTS = 2;
/** A process that takes longer than this to stop is named in the output. */
const SLOW_STOP_MS = 5_000;
/** Stock of the plentiful and the scarce SKU (the scarce one makes some orders fail to reserve). */
const PLENTY = 100;
const SCARCE = 8;

test('the Order Service SIGKILLed with 20 sagas charging resumes every saga after restart: each order ends CONFIRMED or CANCELLED, one capture per confirmed order, every other capture refunded once, stock conserved', async (t) => {
  // After-hooks run in registration order: this one, registered first, stops every process (children
  // killed first) before the topics and databases they use are deleted by the hooks registered later.
  const processes: Array<{ name: string; stop: () => Promise<void> }> = [];
  t.after(async () => {
    for (const { name, stop } of processes.reverse()) {
      const started = performance.now();
      await stop();
      const ms = performance.now() - started;
      if (ms > SLOW_STOP_MS) process.stdout.write(`# stopping ${name} took ${(ms / 1_000).toFixed(1)} s\n`);
    }
  });
  const namespace = await createTestNamespace(t, 'saga-crash');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_orders_crash', '_');
  await ensureDatabase(serverUrl, databaseName);
  t.after(() => dropDatabase(serverUrl, databaseName));
  const declinedCustomers = new Set<string>();
  const [inventory, payment, notification] = await Promise.all([
    startTestService(t, inventoryService, { namespace }),
    startTestService(
      t,
      simulatedPaymentService({ latencyMs: GATEWAY_LATENCY_MS, decide: declineCustomers(declinedCustomers) }),
      { namespace },
    ),
    startTestService(t, notificationService, { namespace }),
  ]);
  processes.push(
    { name: 'inventory', stop: inventory.stop },
    { name: 'payment', stop: payment.stop },
    { name: 'notification', stop: notification.stop },
  );
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: serverUrl,
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: namespace.prefix,
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
    SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
  };
  const first = await spawnService(t, ORDER_ENTRY, await freePort(), env);
  processes.push({ name: 'order (first)', stop: () => first.kill('SIGKILL') });

  const plenty = `CRASH-A-${Date.now().toString(36).toUpperCase()}`;
  const scarce = `CRASH-B-${Date.now().toString(36).toUpperCase()}`;
  const prices = new Map([
    [plenty, 1_100],
    [scarce, 2_300],
  ]);
  await putStock(inventory.url, plenty, PLENTY, prices.get(plenty));
  await putStock(inventory.url, scarce, SCARCE, prices.get(scarce));
  const lines = Array.from({ length: ORDERS }, (_, i) =>
    i % 3 === 0
      ? [
          { sku: plenty, quantity: 1 },
          { sku: scarce, quantity: 2 },
        ]
      : [{ sku: plenty, quantity: 1 + (i % 2) }],
  );
  const customers = lines.map((_, i) => {
    const customerId = randomUUID();
    if (i % DECLINE_EVERY === DECLINE_EVERY - 1) declinedCustomers.add(customerId);
    return customerId;
  });
  const orderIds = await Promise.all(
    lines.map((items, i) => placeOrder(first.url, items, { customerId: customers[i] as string })),
  );

  // Kill when the most sagas are waiting for their charge (or after a while, whatever was reached). The
  // bound is generous: on a machine busy with parallel test files, the consumers' first group join and
  // fetch can take many seconds, and the sagas reach CHARGING only after it.
  const watchUntil = Date.now() + WATCH_FOR_CHARGING_MS;
  let charging: OrderBody[] = [];
  let statesSeen = '';
  while (Date.now() < watchUntil) {
    const views = await Promise.all(orderIds.map((id) => getOrder(first.url, id)));
    charging = views.filter((o) => o.saga?.state === 'CHARGING');
    statesSeen = JSON.stringify(
      Object.groupBy(views, (o) => o.saga?.state ?? o.status),
      (_, v) => (Array.isArray(v) ? v.length : v),
    );
    if (charging.length >= CHARGING_AT_KILL) break;
    await sleep(50);
  }
  const cancelledByCustomer = charging.slice(0, CANCELLED_AT_KILL).map((o) => o.orderId);
  // An order whose capture won the race with its cancellation was CONFIRMED first: its customer is told both.
  const confirmedBeforeCancel = new Set<string>();
  for (const orderId of cancelledByCustomer) {
    const accepted = await cancelOrder(first.url, orderId);
    // 200: a decline cancelled it first, which the assertions below accept as well.
    assert.ok(
      [200, 202].includes(accepted.status),
      `cancel ${orderId}: ${accepted.status} ${JSON.stringify(accepted.body)}`,
    );
    if (accepted.body.status === 'CONFIRMED') confirmedBeforeCancel.add(orderId);
  }
  await first.kill('SIGKILL');
  process.stdout.write(
    `# killed the Order Service with ${charging.length}/${ORDERS} sagas CHARGING, ${cancelledByCustomer.length} cancellations just accepted\n`,
  );
  assert.ok(
    charging.length >= CHARGING_AT_KILL / 2,
    `enough sagas were mid-charge at the kill (${charging.length}; sagas by state: ${statesSeen})`,
  );
  await sleep(DEAD_MS);

  const restartedAt = performance.now();
  const second = await spawnService(t, ORDER_ENTRY, await freePort(), env);
  processes.push({ name: 'order (second)', stop: () => second.kill('SIGKILL') });
  const finished = await Promise.all(orderIds.map((id) => sagaFinished(second.url, id, FINISH_TIMEOUT_MS)));
  const seconds = (performance.now() - restartedAt) / 1_000;
  const outcomes = new Map<string, number>();
  for (const o of finished) {
    const outcome = o.status === 'CANCELLED' ? `CANCELLED ${o.cancelReason?.code}` : o.status;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  process.stdout.write(
    `# after restart every saga finished in ${seconds.toFixed(1)} s: ` +
      `${[...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ')}; ` +
      `re-sent steps: ${finished.flatMap((o) => o.saga?.steps ?? []).filter((s) => s.attempt > 1).length}\n`,
  );

  for (const order of finished) {
    assert.ok(
      ['CONFIRMED', 'CANCELLED'].includes(order.saga?.state ?? '') && order.saga?.state === order.status,
      `every saga resumed and finished\n${describeSaga(order)}`,
    );
  }
  for (const order of finished.filter((o) => declinedCustomers.has(o.customerId))) {
    assert.equal(order.status, 'CANCELLED', `a declined card confirms nothing\n${describeSaga(order)}`);
  }
  for (const orderId of cancelledByCustomer) {
    const order = finished.find((o) => o.orderId === orderId) as OrderBody;
    assert.equal(order.status, 'CANCELLED', `an accepted cancellation survived the kill\n${describeSaga(order)}`);
  }

  // Money: per order, as the Payment Service recorded it and as the gateway did.
  let captures = 0;
  for (const order of finished) {
    const { payments, refunds } = await paymentsOf(payment.url, order.orderId);
    const detail = `${describeSaga(order)}\npayments: ${JSON.stringify({ payments, refunds })}`;
    assert.ok(payments.length <= 1, `one paymentId per order, whatever the re-sends and the restart\n${detail}`);
    const captured = payments.filter((p) => p.status === 'CAPTURED').reduce((sum, p) => sum + p.amount.amountMinor, 0);
    const refunded = refunds.reduce((sum, r) => sum + r.amount.amountMinor, 0);
    assert.ok(refunds.filter((r) => r.amount.amountMinor > 0).length <= 1, `at most one refund\n${detail}`);
    if (order.status === 'CONFIRMED') {
      captures += 1;
      assert.equal(captured, order.total?.amountMinor, `a confirmed order was captured once, in full\n${detail}`);
      assert.equal(refunded, 0, `nothing refunded of a confirmed order\n${detail}`);
    } else {
      assert.equal(captured - refunded, 0, `a cancelled order keeps no money\n${detail}`);
      assert.equal(order.refunded?.amountMinor ?? 0, refunded, `the order shows what was refunded\n${detail}`);
    }
  }
  const gateway = payment.context.pool;
  const charges = await gateway.query<{ outcome: string; n: string; orphans: string }>(
    `SELECT c.outcome, count(*) AS n, count(*) FILTER (WHERE p.payment_id IS NULL) AS orphans
       FROM simulated_provider_charges c LEFT JOIN payments p ON p.payment_id::text = c.idempotency_key
      GROUP BY c.outcome`,
  );
  const gatewayCaptures = Number(charges.rows.find((r) => r.outcome === 'CAPTURED')?.n ?? 0);
  const netCaptures = await gateway.query<{ n: string }>(
    `SELECT count(*) AS n FROM simulated_provider_charges c
      WHERE c.outcome = 'CAPTURED'
        AND c.amount_minor > (SELECT COALESCE(SUM(r.amount_minor), 0) FROM simulated_provider_refunds r WHERE r.charge_key = c.idempotency_key)`,
  );
  assert.equal(
    charges.rows.reduce((sum, r) => sum + Number(r.orphans), 0),
    0,
    'the gateway holds no charge unknown to the Payment Service',
  );
  assert.equal(Number(netCaptures.rows[0]?.n), captures, 'captures kept by the gateway = confirmed orders');
  process.stdout.write(`# gateway: ${gatewayCaptures} captures, ${captures} kept (= CONFIRMED orders)\n`);

  // Stock: nothing held, sold = what the confirmed orders bought, the total unchanged.
  for (const [sku, total] of [
    [plenty, PLENTY],
    [scarce, SCARCE],
  ] as const) {
    const sold = finished
      .filter((o) => o.status === 'CONFIRMED')
      .flatMap((o) => lines[orderIds.indexOf(o.orderId)] ?? [])
      .filter((line) => line.sku === sku)
      .reduce((sum, line) => sum + line.quantity, 0);
    const stock = await product(inventory.url, sku);
    assert.deepEqual(
      { available: stock.available, reserved: stock.reserved, sold: stock.sold },
      { available: total - sold, reserved: 0, sold },
      `${sku}: stock conserved`,
    );
  }

  // The customer hears the outcome of each order, and only that one.
  const expected = finished.flatMap((o) => [
    ...(o.status === 'CONFIRMED' || confirmedBeforeCancel.has(o.orderId) ? [`${o.orderId} OrderConfirmed`] : []),
    ...(o.status === 'CANCELLED' ? [`${o.orderId} OrderCancelled`] : []),
  ]);
  const told = async () => {
    const all: string[] = [];
    for (const o of finished) {
      all.push(...(await notifications(notification.url, o.orderId)).map((n) => `${o.orderId} ${n.outcome}`));
    }
    return all;
  };
  await eventually(async () => ((await told()).length >= expected.length ? true : undefined), 20_000, 'notifications');
  await sleep(NOTIFICATION_QUIET_MS);
  assert.deepEqual((await told()).sort(), expected.sort(), 'one notification per outcome of each order (e-mail only)');
});

test('a refund unanswered after every attempt parks the saga in COMPENSATION_FAILED (view and metrics) with the order not yet CANCELLED; the operator retry (CLI) resumes it and the capture is refunded once when the Payment Service is back', async (t) => {
  const stack = await startStack(t, {
    env: {
      order: {
        SAGA_STEP_TIMEOUT_MS: String(PARK_STEP_TIMEOUT_MS),
        SAGA_MAX_SETTLEMENT_ATTEMPTS: String(PARK_MAX_ATTEMPTS),
        SAGA_DEADLINE_SCAN_INTERVAL_MS: '100',
      },
    },
  });
  const rug = `PARK-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, rug, 3, 2_000);
  const orderId = await placeOrder(stack.order.url, [{ sku: rug, quantity: 1 }]);
  const confirmed = await sagaFinished(stack.order.url, orderId);
  assert.equal(confirmed.status, 'CONFIRMED', describeSaga(confirmed));

  await stack.payment.stop();
  const accepted = await cancelOrder(stack.order.url, orderId);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const parked = await orderWhere(
    stack.order.url,
    orderId,
    (o) => o.saga?.state === 'COMPENSATION_FAILED',
    'COMPENSATION_FAILED',
    30_000,
  );
  assert.equal(parked.status, 'CONFIRMED', `not CANCELLED while a compensation is unanswered\n${describeSaga(parked)}`);
  const refunds = (parked.saga?.steps ?? []).filter((s) => s.step === 'REFUND_PAYMENT');
  assert.equal(refunds.length, PARK_MAX_ATTEMPTS, `every attempt of the refund was made\n${describeSaga(parked)}`);
  const release = (parked.saga?.steps ?? []).filter((s) => s.step === 'RELEASE_STOCK').at(-1);
  assert.equal(release?.status, 'SUCCEEDED', `the stock compensation did not wait\n${describeSaga(parked)}`);
  assert.deepEqual(await product(stack.inventory.url, rug).then((p) => [p.available, p.reserved, p.sold]), [3, 0, 0]);
  const metrics = await fetch(`${stack.order.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /^order_sagas\{state="COMPENSATION_FAILED"\} 1$/m, 'the gauge an alert watches');
  assert.match(metrics, /^order_saga_compensation_failures_total\{step="REFUND_PAYMENT"\} 1$/m);

  const { stdout } = await execFileAsync(
    process.execPath,
    ['tools/src/cli.ts', 'saga', 'retry', orderId, '--order-url', stack.order.url, '--token', await operatorToken()],
    { cwd: REPO_ROOT },
  );
  assert.match(stdout, /retried/);
  assert.match(stdout, /saga CANCELLING/, `the retry sent the refund again:\n${stdout}`);
  const payment = await restartService(t, simulatedPaymentService(), stack.payment);

  const cancelled = await orderWhere(stack.order.url, orderId, (o) => o.status === 'CANCELLED', 'CANCELLED', 30_000);
  assert.equal(cancelled.cancelReason?.code, 'CUSTOMER_CANCELLED', describeSaga(cancelled));
  assert.deepEqual(cancelled.refunded, { amountMinor: 2_000, currency: 'EUR' }, describeSaga(cancelled));
  const finished = await sagaFinished(stack.order.url, orderId);
  assert.equal(finished.saga?.state, 'CANCELLED', describeSaga(finished));
  await sleep(NOTIFICATION_QUIET_MS);
  const recorded = await paymentsOf(payment.url, orderId);
  assert.deepEqual(
    recorded.refunds.map((r) => r.amount.amountMinor),
    [2_000],
    `one refund for every copy of the command\n${describeSaga(finished)}`,
  );
  const gatewayRefunds = await payment.context.pool.query<{ amount_minor: string }>(
    'SELECT amount_minor FROM simulated_provider_refunds',
  );
  assert.deepEqual(
    gatewayRefunds.rows.map((r) => Number(r.amount_minor)),
    [2_000],
    'the gateway refunded once',
  );
  assert.deepEqual(
    (await notifications(stack.notification.url, orderId)).map((n) => n.outcome),
    ['OrderConfirmed', 'OrderCancelled'],
  );
});
