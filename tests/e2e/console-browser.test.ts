/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) on the real stack: every
 * page at a desktop and a phone width, updated live from the console's event streams without a reload. An
 * order placed while the Payment Service is down shows the service as unavailable and the order PENDING, then
 * turns CONFIRMED once the service is back; a declined card shows the compensation (the stock released) and the
 * declined payment; a stock edit shows the service's validation error beside its field, then the new stock.
 * Any error in the browser's console fails the test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEvent, newEventMeta, topicName } from '@shop/contracts';
import { createProducer } from '@shop/platform';
import { createTestDatabase, testKafkaConnection, uniqueName } from '@shop/test-support';
import {
  cancelOrder,
  declineCustomers,
  orderWhere,
  placeOrder,
  putStock,
  restartService,
  sagaFinished,
  simulatedPaymentService,
  startStack,
} from '@shop/test-support/stack';
import type { Page } from 'playwright-core';
import { notificationService } from '../../services/notification/src/service.ts';
import {
  DESKTOP,
  launchBrowser,
  PHONE,
  screenshot,
  startConsole,
  VISIBLE_TIMEOUT_MS,
  waitForText,
} from './console-support.ts';

/** Pace of the orders placed during the Notification Service's outage (a driver's pace, not a wait). */
const DRIVE_EVERY_MS = 200;
/**
 * The parking scenario's Order Service: a refund unanswered for this long is an attempt given up, and after this
 * many attempts the saga parks in COMPENSATION_FAILED, within seconds rather than the production minutes.
 */
const PARK_STEP_TIMEOUT_MS = 500;
const PARK_MAX_ATTEMPTS = 2;
/** How long the saga may take to park once its refund goes unanswered (every attempt timed out). */
const PARK_TIMEOUT_MS = 30_000;

function sku(prefix: string): string {
  return uniqueName(prefix)
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
}

/** Marks the document, so the test can tell a live update from a reload (a reload loses the mark). */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { consoleTestMark: number }).consoleTestMark = 1;
  });
}

async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { consoleTestMark?: number }).consoleTestMark === 1);
}

test('the console shows orders, compensation, stock, dead letters and lag live, at desktop and phone widths, with no browser error', async (t) => {
  const declined = randomUUID();
  const payment = simulatedPaymentService({ decide: declineCustomers(new Set([declined])) });
  const stack = await startStack(t, { definitions: { payment } });
  // The replay audit in a database of the test's own, dropped afterwards.
  const audit = await createTestDatabase(t, 'console_audit');
  const console_ = await startConsole(t, stack, { auditDatabase: audit.name });
  const browser = await launchBrowser(t);
  const product = sku('console');
  await putStock(stack.inventory.url, product, 10_000);

  await t.test('an order placed with payments down turns CONFIRMED live, then is cancelled', async () => {
    const paymentPort = new URL(stack.payment.url).port;
    await stack.payment.stop();
    const customer = randomUUID();
    const orderId = await placeOrder(stack.order.url, [{ sku: product, quantity: 2 }], { customerId: customer });
    const page = await browser.open(DESKTOP);
    await page.goto(`${console_.url}/#/orders/${orderId}`);
    await markDocument(page);
    // The saga waits on the charge; the page says the Payment Service is down instead of going blank.
    await waitForText(page, '[data-testid="order-status"]', 'PENDING');
    await waitForText(page, '.state.failed', 'Payments unavailable');
    await waitForText(page, '[data-testid="saga-timeline"] li[data-step="CHARGE_PAYMENT"]', 'CHARGE_PAYMENT');
    await screenshot(page, 'order-payment-down-desktop');

    const restarted = await restartService(t, payment, stack.payment, { PORT: paymentPort });
    assert.equal(restarted.url, stack.payment.url, 'the Payment Service came back where the console calls it');
    await waitForText(page, '[data-testid="order-status"]', 'CONFIRMED');
    await waitForText(page, '[data-testid="payments"]', 'CAPTURED');
    await waitForText(page, '[data-testid="reservation"]', 'COMMITTED');
    assert.ok(await stillSameDocument(page), 'CONFIRMED arrived over the stream, without a reload');
    assert.equal(await page.locator('.state.failed').count(), 0, 'no part of the page is marked unavailable');
    await screenshot(page, 'order-confirmed-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'order-confirmed-phone');

    // The customer's orders, found by customer id, filtered by state.
    await page.setViewportSize(DESKTOP);
    await page.goto(`${console_.url}/#/orders`);
    await page.fill('input[name="customerId"]', customer);
    await page.click('text=List orders');
    await waitForText(page, '[data-testid="order-list"]', orderId);
    await page.selectOption('select[name="status"]', 'CANCELLED');
    await waitForText(page, '.state.empty', 'No orders in state CANCELLED');
    await page.selectOption('select[name="status"]', 'CONFIRMED');
    await waitForText(page, '[data-testid="order-list"]', orderId);
    await screenshot(page, 'orders-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'orders-phone');

    // Cancel as the customer: asked to confirm first, then refunded and CANCELLED on the same page.
    await page.setViewportSize(DESKTOP);
    await page.goto(`${console_.url}/#/orders/${orderId}`);
    await waitForText(page, '[data-testid="order-status"]', 'CONFIRMED');
    await page.click('button:has-text("Cancel order")');
    await waitForText(page, '[role="alertdialog"]', 'Cancel this order as its customer?');
    await screenshot(page, 'order-cancel-confirm-desktop');
    await page.click('button:has-text("Yes, cancel it")');
    await waitForText(page, '[data-testid="order-status"]', 'CANCELLED');
    await waitForText(page, '[data-testid="saga-timeline"] li[data-step="REFUND_PAYMENT"]', 'SUCCEEDED');
    await waitForText(page, '[data-testid="cancel-reason"]', 'refunded 20.00');
  });

  await t.test(
    'a declined card shows the compensation: stock released, payment declined, order CANCELLED',
    async () => {
      const orderId = await placeOrder(stack.order.url, [{ sku: product, quantity: 1 }], { customerId: declined });
      const page = await browser.open(DESKTOP);
      await page.goto(`${console_.url}/#/orders/${orderId}`);
      await waitForText(page, '[data-testid="order-status"]', 'CANCELLED');
      await waitForText(page, '[data-testid="saga-timeline"] li[data-step="RELEASE_STOCK"]', 'SUCCEEDED');
      await waitForText(page, '[data-testid="saga-timeline"] li[data-step="CHARGE_PAYMENT"]', 'FAILED');
      await waitForText(page, '[data-testid="payments"]', 'DECLINED');
      await waitForText(page, '[data-testid="reservation"]', 'RELEASED');
      await waitForText(page, '[data-testid="cancel-reason"]', 'Cancelled');
      await screenshot(page, 'order-declined-desktop');
      await page.setViewportSize(PHONE);
      await screenshot(page, 'order-declined-phone');
    },
  );

  await t.test('stock: an invalid edit is refused beside its field; a valid one shows the new stock live', async () => {
    const page = await browser.open(DESKTOP);
    await page.goto(`${console_.url}/#/stock`);
    const row = page.locator(`tr[data-sku="${product}"]`);
    await row.waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    await row.locator('button', { hasText: 'Edit' }).click();
    await row.locator('input[name="available"]').fill('-5');
    await row.locator('button[type="submit"]').click();
    // Refused by the Inventory Service's schema (minimum 0), shown next to the field it names.
    await waitForText(page, `tr[data-sku="${product}"] [data-error-for="available"]`, /0/);
    await screenshot(page, 'stock-invalid-desktop');
    await row.locator('input[name="available"]').fill('7');
    await row.locator('button[type="submit"]').click();
    await waitForText(page, `tr[data-sku="${product}"] [data-field="available"]`, /^7$/);
    await screenshot(page, 'stock-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'stock-phone');
  });

  await t.test('overview and lag pages show the services, the rates and every consumer group', async () => {
    const page = await browser.open(DESKTOP);
    await page.goto(`${console_.url}/#/`);
    for (const service of ['order', 'inventory', 'payment', 'notification']) {
      await waitForText(page, `[data-testid="service-${service}"]`, 'UP');
    }
    await page.locator('[data-testid="group-statuses"]').waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    // The Order Service's saga summary: the cancelled order and the declined one, nothing parked.
    await waitForText(page, '[data-testid="saga-states"] [data-state="CANCELLED"] .tile-value', /^2$/);
    await waitForText(page, '[data-testid="saga-states"] [data-state="COMPENSATION_FAILED"] .tile-value', /^0$/);
    await waitForText(page, '[data-testid="dead-letters-last-hour"]', 'None in the last hour');
    await page.locator('[data-testid="rates"] .tile-value', { hasText: /^\d/ }).first().waitFor({
      timeout: VISIBLE_TIMEOUT_MS,
    });
    await screenshot(page, 'overview-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'overview-phone');

    await page.setViewportSize(DESKTOP);
    await page.goto(`${console_.url}/#/lag`);
    const notify = page.locator(
      `[data-testid="group-${stack.namespace.group('notification-service.notify-customers')}"]`,
    );
    await notify.waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    await page
      .locator(
        `[data-testid="group-${stack.namespace.group('notification-service.notify-customers')}"][data-status="OK"]`,
      )
      .waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    // The catalog beside the cluster: the test namespace's topics were provisioned from it, so nothing drifts.
    await waitForText(page, '[data-testid="cluster"]', 'every topic matches the catalog');
    await waitForText(page, `[data-topic="${stack.namespace.topic('order-service.order-placed')}"]`, 'IN SYNC');
    await screenshot(page, 'lag-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'lag-phone');
  });

  await t.test(
    'a poison record: found among the dead letters, dry-run, replayed once at a rate, back once',
    async () => {
      const producer = createProducer(await testKafkaConnection());
      t.after(() => producer.close());
      const orderId = randomUUID();
      // A record whose headers are a real OrderPlaced's but whose value is not JSON: poison for reserveStock.
      const { headers } = encodeEvent({
        meta: newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orderId }),
        payload: { orderId, lines: [{ sku: product, quantity: 1 }] },
      });
      await producer.send({
        messages: [
          {
            topic: stack.namespace.topic(topicName('orderPlaced')),
            key: orderId,
            value: Buffer.from('{"orderId": not json'),
            headers: new Map(Object.entries(headers)),
          },
        ],
      });
      const page = await browser.open(DESKTOP);
      await page.goto(`${console_.url}/#/dead-letters`);
      await page.fill('input[name="orderId"]', orderId);
      await page.click('button:has-text("Filter")');
      const rows = page.locator('[data-testid="dead-letters"] tbody tr');
      await waitForText(page, '[data-testid="dead-letters"] tr[data-replays="0"]', 'CTR_NOT_JSON');
      await rows.first().locator('button.link').click();
      await waitForText(page, '[data-testid="dead-letter"]', 'CTR_NOT_JSON');
      await waitForText(page, '[data-testid="dead-letter"] pre.payload', 'not json');
      await screenshot(page, 'dead-letter-desktop');
      await page.setViewportSize(PHONE);
      await screenshot(page, 'dead-letter-phone');
      await page.setViewportSize(DESKTOP);

      // Dry run first: what would be sent where (the consumer's first retry tier), nothing published.
      await page.locator('[data-testid="dead-letter"] button', { hasText: 'Replay this one' }).click();
      const retryTopic = stack.namespace.topic('inventory-service.reserve-stock.retry-1');
      await waitForText(page, '[data-testid="dead-letter"] [data-testid="replay-plan"]', retryTopic);
      await screenshot(page, 'dead-letter-dry-run-desktop');
      assert.equal(await rows.count(), 1, 'the dry run published nothing');
      await page.locator('[data-testid="dead-letter"] input[name="rate"]').fill('5');
      await page.locator('[data-testid="dead-letter"] button', { hasText: 'Confirm replay' }).click();
      await waitForText(page, '[data-testid="dead-letter"] [role="status"]', 'Replayed 1 of 1');
      // Still poison: the retry tier's consumer handled the one copy and dead-lettered it again, stamped replay 1.
      await waitForText(page, '[data-testid="dead-letters"] tr[data-replays="1"]', 'CTR_NOT_JSON');
      assert.equal(await rows.count(), 2, 'one replayed copy came back, no more');
      // The audit's history names the run: by the console, the one event, at 5/s, 1 of 1 replayed, none skipped.
      const run = page.locator('[data-testid="replay-runs"] tbody tr', { hasText: 'event-id=' });
      await run.waitFor({ timeout: VISIBLE_TIMEOUT_MS });
      assert.equal(await page.locator('[data-testid="replay-runs"] tbody tr').count(), 1, 'one run, the real one');
      const cells = (await run.locator('td').allTextContents()).map((text) => text.trim());
      assert.deepEqual([cells[1], ...cells.slice(3)], ['console', '5', '1 of 1', '0', '0', '0']);
      assert.match(cells[2] ?? '', /event-id=/, 'the filter the run was made with');
      await screenshot(page, 'dead-letters-desktop');
      await page.setViewportSize(PHONE);
      await screenshot(page, 'dead-letters-phone');

      // The overview counts both dead letters of the last hour against the consumer that failed them.
      await page.setViewportSize(DESKTOP);
      await page.goto(`${console_.url}/#/`);
      await waitForText(page, '[data-testid="dead-letters-last-hour"] tr[data-consumer="reserveStock"]', /2$/);
      await screenshot(page, 'overview-dead-letters-desktop');
    },
  );

  await t.test('the Notification Service stopped: its group goes WARN, then STOP, and recovers to OK', async () => {
    const group = stack.namespace.group('notification-service.notify-customers');
    const card = (status: string) => page.locator(`[data-testid="group-${group}"][data-status="${status}"]`);
    const page = await browser.open(DESKTOP);
    await page.goto(`${console_.url}/#/lag`);
    await card('OK').waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    await markDocument(page);
    const notificationPort = new URL(stack.notification.url).port;
    // Both waits start before the outage, so a WARN that lasts a single reading is not missed.
    // Checked on every animation frame (a locator's wait backs off to 1 s polls and could miss a short WARN).
    const shown = (status: string) =>
      page
        .waitForFunction(
          (selector) =>
            (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector(
              selector,
            ) !== null,
          `[data-testid="group-${group}"][data-status="${status}"]`,
          { polling: 'raf', timeout: VISIBLE_TIMEOUT_MS },
        )
        .then(
          () => undefined,
          (error: Error) => error,
        );
    const warned = shown('WARN');
    const stopped = shown('STOP');
    await stack.notification.stop();
    // Orders keep coming, so the stopped group's outcomes topic grows while nobody commits.
    let driving = true;
    const driver = (async () => {
      while (driving) {
        await placeOrder(stack.order.url, [{ sku: product, quantity: 1 }]);
        await sleep(DRIVE_EVERY_MS);
      }
    })();
    try {
      const warnFailure = await warned;
      if (warnFailure !== undefined) throw warnFailure;
      await screenshot(page, 'lag-warn-desktop');
      const stopFailure = await stopped;
      if (stopFailure !== undefined) throw stopFailure;
      await screenshot(page, 'lag-stop-desktop');
    } finally {
      driving = false;
      await driver;
    }
    await restartService(t, notificationService, stack.notification, { PORT: notificationPort });
    await card('OK').waitFor({ timeout: VISIBLE_TIMEOUT_MS });
    assert.ok(await stillSameDocument(page), 'the statuses arrived over the stream, without a reload');
  });

  await browser.close();
  await console_.close();
  assert.deepEqual(browser.errors, [], 'the browser logged no error');
});

test('a COMPENSATION_FAILED saga is retried from its page as an operator, after a confirmation, and settles CANCELLED live', async (t) => {
  const payment = simulatedPaymentService();
  // A stack of its own: the short step timeout that parks a saga within seconds would time out the other
  // test's charges while its Payment Service is down.
  const stack = await startStack(t, {
    definitions: { payment },
    env: {
      order: {
        SAGA_STEP_TIMEOUT_MS: String(PARK_STEP_TIMEOUT_MS),
        SAGA_MAX_SETTLEMENT_ATTEMPTS: String(PARK_MAX_ATTEMPTS),
        SAGA_DEADLINE_SCAN_INTERVAL_MS: '100',
      },
    },
  });
  const console_ = await startConsole(t, stack);
  const browser = await launchBrowser(t);
  const product = sku('park');
  await putStock(stack.inventory.url, product, 10, 2_000);
  const orderId = await placeOrder(stack.order.url, [{ sku: product, quantity: 1 }]);
  const confirmed = await sagaFinished(stack.order.url, orderId);
  assert.equal(confirmed.status, 'CONFIRMED');

  // The refund of a cancellation goes unanswered while the Payment Service is down: the saga parks.
  const paymentPort = new URL(stack.payment.url).port;
  await stack.payment.stop();
  const accepted = await cancelOrder(stack.order.url, orderId);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  await orderWhere(
    stack.order.url,
    orderId,
    (o) => o.saga?.state === 'COMPENSATION_FAILED',
    'COMPENSATION_FAILED',
    PARK_TIMEOUT_MS,
  );

  // The overview counts it, and its tile lists every customer's parked orders; the order opens from there.
  const page = await browser.open(DESKTOP);
  await page.goto(`${console_.url}/#/`);
  await waitForText(page, '[data-testid="saga-states"] [data-state="COMPENSATION_FAILED"] .tile-value', /^1$/);
  await page.click('[data-testid="saga-states"] [data-state="COMPENSATION_FAILED"]');
  await waitForText(page, '[data-testid="order-list"]', orderId);
  await waitForText(page, '[data-testid="listed-state"]', 'saga COMPENSATION_FAILED');
  // The same listing from the Orders page's state filter, and an empty one.
  await page.goto(`${console_.url}/#/orders`);
  await page.selectOption('select[name="across"]', 'status=PENDING');
  await page.click('button:has-text("List in state")');
  await waitForText(page, '.state.empty', 'No orders in PENDING');
  await page.selectOption('select[name="across"]', 'sagaState=COMPENSATION_FAILED');
  await page.click('button:has-text("List in state")');
  await waitForText(page, '[data-testid="order-list"]', orderId);
  await screenshot(page, 'orders-by-state-desktop');
  await page.click(`a:has-text("${orderId}")`);
  await markDocument(page);
  await waitForText(page, '.summary', 'COMPENSATION_FAILED');
  // Not cancelled while its refund is owed: the order is still CONFIRMED, and only the retry is offered.
  await waitForText(page, '[data-testid="order-status"]', 'CONFIRMED');
  await page.locator('button', { hasText: 'Retry compensation' }).waitFor({ timeout: VISIBLE_TIMEOUT_MS });
  await screenshot(page, 'order-compensation-failed-desktop');

  await page.click('button:has-text("Retry compensation")');
  await waitForText(page, '[role="alertdialog"]', 'Send this COMPENSATION_FAILED saga back to work');
  await screenshot(page, 'order-retry-confirm-desktop');
  await page.click('button:has-text("Yes, retry")');
  await waitForText(page, '.actions [role="status"]', 'The saga was sent back to work.');
  // The retried refund is answered once the Payment Service is back (before it, the late replies to the
  // commands it missed would settle the saga without the operator, which is not what this shows).
  const restarted = await restartService(t, payment, stack.payment, { PORT: paymentPort });
  assert.equal(restarted.url, stack.payment.url, 'the Payment Service came back where the console calls it');
  await waitForText(page, '[data-testid="order-status"]', 'CANCELLED');
  await waitForText(page, '.summary', /saga\s*CANCELLED/);
  await waitForText(page, '[data-testid="cancel-reason"]', 'refunded 20.00');
  await waitForText(
    page,
    '[data-testid="saga-timeline"] li[data-step="REFUND_PAYMENT"][data-status="SUCCEEDED"]',
    'REFUND_PAYMENT',
  );
  assert.ok(await stillSameDocument(page), 'the settlement arrived over the stream, without a reload');
  assert.equal(await page.locator('button', { hasText: 'Retry compensation' }).count(), 0, 'nothing left to retry');
  await screenshot(page, 'order-retried-desktop');

  await browser.close();
  await console_.close();
  assert.deepEqual(browser.errors, [], 'the browser logged no error');
});
