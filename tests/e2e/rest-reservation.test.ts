/**
 * The REST reservation mode (ORDER_RESERVATION_MODE=rest) end to end: POST /orders reserves through
 * Inventory's PUT /reservations/{orderId} and answers at once (201 RESERVED, 409 ORD_OUT_OF_STOCK, 503
 * ORD_INVENTORY_UNAVAILABLE), then the saga continues with payment, compensation and refunds as in the Kafka
 * mode. The order flows: confirmed, out of stock, declined, cancelled, and an Inventory outage.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { customerToken, eventually, uniqueName } from '@shop/test-support';
import {
  cancelOrder,
  declineCustomers,
  describeSaga,
  http,
  notifications,
  orderWhere,
  paymentsOf,
  product,
  putStock,
  restartService,
  sagaFinished,
  settled,
  simulatedPaymentService,
  startStack,
} from '@shop/test-support/stack';
import { inventoryService } from '../../services/inventory/src/service.ts';

function sku(prefix: string): string {
  return uniqueName(prefix)
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
}

interface PostAnswer {
  orderId?: string;
  status?: string;
  total?: { amountMinor: number; currency: string };
  error?: { code: string; message: string; details?: { orderId?: string } };
}

async function post(orderUrl: string, items: Array<{ sku: string; quantity: number }>, customerId = randomUUID()) {
  return http<PostAnswer>(`${orderUrl}/orders`, {
    method: 'POST',
    token: await customerToken(customerId),
    body: { items, contact: { email: 'customer@example.com' } },
  });
}

test('REST mode: an order for stock on hand is answered 201 RESERVED with its total at once, then CONFIRMED and its stock sold', async (t) => {
  const stack = await startStack(t, { reservationMode: 'rest' });
  const mug = sku('MUG');
  await putStock(stack.inventory.url, mug, 5, 1_250);

  const answer = await post(stack.order.url, [{ sku: mug, quantity: 2 }]);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  assert.equal(answer.body.status, 'RESERVED');
  assert.deepEqual(answer.body.total, { amountMinor: 2_500, currency: 'EUR' });
  const orderId = answer.body.orderId ?? '';
  assert.equal(answer.headers.get('location'), `/orders/${orderId}`);
  // The stock is held by the time the customer has the answer: no PENDING reservation.
  const held = await product(stack.inventory.url, mug);
  assert.equal(held.available, 3);

  const order = await settled(stack.order.url, orderId);
  assert.equal(order.status, 'CONFIRMED', describeSaga(order));
  const finished = await sagaFinished(stack.order.url, orderId);
  assert.deepEqual(
    finished.saga?.steps.map((s) => `${s.step} ${s.status}`),
    ['RESERVE_STOCK SUCCEEDED', 'CHARGE_PAYMENT SUCCEEDED', 'COMMIT_STOCK SUCCEEDED'],
    describeSaga(finished),
  );
  const sold = await product(stack.inventory.url, mug);
  assert.deepEqual(
    { available: sold.available, reserved: sold.reserved, sold: sold.sold },
    { available: 3, reserved: 0, sold: 2 },
  );
  const sent = await eventually(
    async () => ((await notifications(stack.notification.url, orderId)).length >= 1 ? true : undefined),
    20_000,
    'the confirmation',
  );
  assert.ok(sent);
});

test('REST mode: an order for more than the stock is answered 409 ORD_OUT_OF_STOCK at once and recorded CANCELLED (ITEMS_UNAVAILABLE), nothing reserved', async (t) => {
  const stack = await startStack(t, { reservationMode: 'rest' });
  const poster = sku('POSTER');
  await putStock(stack.inventory.url, poster, 1);

  const answer = await post(stack.order.url, [{ sku: poster, quantity: 2 }]);
  assert.equal(answer.status, 409, JSON.stringify(answer.body));
  assert.equal(answer.body.error?.code, 'ORD_OUT_OF_STOCK');
  assert.match(answer.body.error?.message ?? '', /only 1 available/);
  const orderId = answer.body.error?.details?.orderId ?? '';
  const order = await settled(stack.order.url, orderId);
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.cancelReason?.code, 'ITEMS_UNAVAILABLE');
  assert.equal((await product(stack.inventory.url, poster)).available, 1, 'nothing reserved for a failed order');
  const sent = await eventually(
    async () => {
      const list = await notifications(stack.notification.url, orderId);
      return list.length >= 1 ? list : undefined;
    },
    20_000,
    'the cancellation notice',
  );
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`),
    ['OrderCancelled/email'],
  );
});

test('REST mode: a declined payment releases the reservation and CANCELS with PAYMENT_DECLINED; a cancellation after capture refunds it', async (t) => {
  const declined = new Set<string>();
  const stack = await startStack(t, {
    reservationMode: 'rest',
    definitions: { payment: simulatedPaymentService({ decide: declineCustomers(declined) }) },
  });
  const lamp = sku('LAMP');
  await putStock(stack.inventory.url, lamp, 6, 1_000);

  const decliner = randomUUID();
  declined.add(decliner);
  const first = await post(stack.order.url, [{ sku: lamp, quantity: 3 }], decliner);
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const declinedOrder = await sagaFinished(stack.order.url, first.body.orderId ?? '');
  assert.equal(declinedOrder.status, 'CANCELLED', describeSaga(declinedOrder));
  assert.equal(declinedOrder.cancelReason?.code, 'PAYMENT_DECLINED');

  const second = await post(stack.order.url, [{ sku: lamp, quantity: 2 }]);
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const orderId = second.body.orderId ?? '';
  const confirmed = await sagaFinished(stack.order.url, orderId);
  assert.equal(confirmed.status, 'CONFIRMED', describeSaga(confirmed));
  const cancel = await cancelOrder(stack.order.url, orderId);
  assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
  const cancelled = await sagaFinished(stack.order.url, orderId);
  assert.equal(cancelled.status, 'CANCELLED', describeSaga(cancelled));
  assert.equal(cancelled.cancelReason?.code, 'CUSTOMER_CANCELLED');
  assert.deepEqual(cancelled.refunded, { amountMinor: 2_000, currency: 'EUR' });
  const { refunds } = await paymentsOf(stack.payment.url, orderId);
  assert.equal(refunds.filter((r) => r.amount.amountMinor > 0).length, 1, 'refunded exactly once');

  // Reconciliation: every unit is back, nothing held or sold.
  const stock = await product(stack.inventory.url, lamp);
  assert.deepEqual(
    { available: stock.available, reserved: stock.reserved, sold: stock.sold },
    { available: 6, reserved: 0, sold: 0 },
  );
});

test('REST mode: 30 concurrent orders for 10 units give exactly 10 answers 201 and 20 answers 409, and the stock reconciles', async (t) => {
  // The 30 reservations queue on one product row; on a shared, loaded machine that can outlast the 1 s default.
  const stack = await startStack(t, { reservationMode: 'rest', env: { order: { INVENTORY_TIMEOUT_MS: '10000' } } });
  const limited = sku('LIMITED');
  await putStock(stack.inventory.url, limited, 10);
  const answers = await Promise.all(
    Array.from({ length: 30 }, () => post(stack.order.url, [{ sku: limited, quantity: 1 }])),
  );
  const statuses = JSON.stringify(answers.map((a) => `${a.status} ${a.body.error?.code ?? ''}`));
  assert.equal(answers.filter((a) => a.status === 201).length, 10, statuses);
  assert.equal(answers.filter((a) => a.status === 409).length, 20, statuses);
  const ids = answers.map((a) => a.body.orderId ?? a.body.error?.details?.orderId ?? '');
  const outcomes = await Promise.all(ids.map((id) => sagaFinished(stack.order.url, id, 60_000)));
  assert.equal(outcomes.filter((o) => o.status === 'CONFIRMED').length, 10);
  const stock = await product(stack.inventory.url, limited);
  assert.deepEqual({ available: stock.available, sold: stock.sold }, { available: 0, sold: 10 });
});

test('REST mode: with Inventory down, POST /orders answers 503 ORD_INVENTORY_UNAVAILABLE (Retry-After), the circuit then refuses at once, and the unanswered order is cancelled and released at its deadline', async (t) => {
  const stack = await startStack(t, {
    reservationMode: 'rest',
    env: {
      order: {
        ORDER_REST_RESERVATION_DEADLINE_MS: '1000',
        INVENTORY_TIMEOUT_MS: '200',
        INVENTORY_BREAKER_FAILURES: '3',
        INVENTORY_BREAKER_OPEN_MS: '60000',
        SAGA_DEADLINE_SCAN_INTERVAL_MS: '100',
      },
    },
  });
  const cup = sku('CUP');
  await putStock(stack.inventory.url, cup, 5);
  await stack.inventory.stop();

  const first = await post(stack.order.url, [{ sku: cup, quantity: 1 }]);
  assert.equal(first.status, 503, JSON.stringify(first.body));
  assert.equal(first.body.error?.code, 'ORD_INVENTORY_UNAVAILABLE');
  assert.equal(first.headers.get('retry-after'), '1');
  const orderId = first.body.error?.details?.orderId ?? '';
  assert.notEqual(orderId, '', 'the first refusal names the order it recorded');
  // Three failed attempts opened the circuit: the next order is refused before anything is written.
  const second = await post(stack.order.url, [{ sku: cup, quantity: 1 }]);
  assert.equal(second.status, 503);
  assert.equal(second.body.error?.details?.orderId, undefined, 'refused before it was recorded');

  // Given up at its deadline; the release waits for Inventory, and CANCELLED waits for the release.
  await orderWhere(
    stack.order.url,
    orderId,
    (o) => o.saga?.steps.some((s) => s.step === 'RELEASE_STOCK') === true,
    'reservation given up',
    20_000,
  );
  // On its old port: the Order Service's INVENTORY_URL names it.
  await restartService(t, inventoryService, stack.inventory, { PORT: new URL(stack.inventory.url).port });
  const order = await settled(stack.order.url, orderId, 30_000);
  assert.equal(order.status, 'CANCELLED', describeSaga(order));
  assert.equal(order.cancelReason?.code, 'PROCESSING_TIMEOUT');
  assert.equal((await product(stack.inventory.url, cup)).available, 5, 'nothing held');
});
