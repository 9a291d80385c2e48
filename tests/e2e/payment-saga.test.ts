/**
 * The orchestrated order saga's acceptance, on the real Kafka and PostgreSQL with every service
 * in-process: payment captured → CONFIRMED and stock sold; declined → stock released and CANCELLED; the
 * customer cancels after capture → one refund, stock back; the Payment Service down for 30 s during a
 * charge → the saga re-sends the same ChargePayment until it is answered, and the gateway captures once;
 * replies delivered twice or out of order change nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  consumer,
  type EventType,
  encodeEvent,
  HEADERS,
  newEventMeta,
  type ServiceName,
  topicName,
} from '@shop/contracts';
import { createAdmin, createProducer, type KafkaRecord, type Pool } from '@shop/platform';
import { eventually, operatorToken, readTopic, testKafkaConnection, uniqueName } from '@shop/test-support';
import {
  cancelOrder,
  declineCustomers,
  describeSaga,
  getOrder,
  http,
  type NotificationBody,
  notifications,
  type OrderBody,
  orderWhere,
  paymentsOf,
  placeOrder,
  product,
  putStock,
  restartService,
  sagaFinished,
  settled,
  simulatedPaymentService,
  startStack,
} from '@shop/test-support/stack';

/** How long the test waits after an outcome for a duplicate (a second notification, refund, ...) to show up. */
const SETTLE_QUIET_MS = 2_000;
/** How long the outage lasts. */
const PAYMENT_OUTAGE_MS = 30_000;
/** Step timeout of the Order Service in the outage test: several re-sends fit in the outage. */
const OUTAGE_STEP_TIMEOUT_MS = 3_000;

function sku(prefix: string): string {
  return uniqueName(prefix)
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
}

/** The notifications of an order once `count` have arrived, checked again after a quiet period. */
async function notificationsSettled(url: string, orderId: string, count: number): Promise<NotificationBody[]> {
  await eventually(
    async () => ((await notifications(url, orderId)).length >= count ? true : undefined),
    20_000,
    `${count} notification(s) of order ${orderId}`,
  );
  await sleep(SETTLE_QUIET_MS);
  return notifications(url, orderId);
}

/** The simulated gateway's own records (its tables in the payments database). */
async function gatewayRecords(pool: Pool) {
  const charges = await pool.query<{ idempotency_key: string; outcome: string; amount_minor: string }>(
    'SELECT idempotency_key, outcome, amount_minor FROM simulated_provider_charges ORDER BY created_at',
  );
  const refunds = await pool.query<{ idempotency_key: string; charge_key: string; amount_minor: string }>(
    'SELECT idempotency_key, charge_key, amount_minor FROM simulated_provider_refunds ORDER BY created_at',
  );
  return {
    charges: charges.rows.map((r) => ({
      key: r.idempotency_key,
      outcome: r.outcome,
      amountMinor: Number(r.amount_minor),
    })),
    refunds: refunds.rows.map((r) => ({
      key: r.idempotency_key,
      chargeKey: r.charge_key,
      amountMinor: Number(r.amount_minor),
    })),
  };
}

function stepsOf(order: OrderBody, step: string) {
  return (order.saga?.steps ?? []).filter((s) => s.step === step);
}

/** Asserts the step's last attempt ended with `status`, with the whole saga in the message. */
function assertStep(order: OrderBody, step: string, status: string): void {
  const attempts = stepsOf(order, step);
  assert.equal(attempts.at(-1)?.status, status, `${step} ends ${status}\n${describeSaga(order)}`);
}

test('a captured payment CONFIRMS the order, moves its stock from reserved to sold, and tells the customer once per channel', async (t) => {
  const stack = await startStack(t);
  const mug = sku('MUG');
  await putStock(stack.inventory.url, mug, 5, 1_250);
  const orderId = await placeOrder(stack.order.url, [{ sku: mug, quantity: 2 }], '+4915112345678');

  const confirmed = await settled(stack.order.url, orderId);
  assert.equal(confirmed.status, 'CONFIRMED', describeSaga(confirmed));
  assert.deepEqual(confirmed.total, { amountMinor: 2_500, currency: 'EUR' });
  const order = await sagaFinished(stack.order.url, orderId);
  assert.equal(order.saga?.state, 'CONFIRMED', describeSaga(order));
  assertStep(order, 'RESERVE_STOCK', 'SUCCEEDED');
  assertStep(order, 'CHARGE_PAYMENT', 'SUCCEEDED');
  assertStep(order, 'COMMIT_STOCK', 'SUCCEEDED');
  for (const step of order.saga?.steps ?? []) {
    assert.ok(step.startedAt && step.finishedAt, `every step has its times\n${describeSaga(order)}`);
  }

  const stock = await product(stack.inventory.url, mug);
  assert.deepEqual(
    { available: stock.available, reserved: stock.reserved, sold: stock.sold },
    { available: 3, reserved: 0, sold: 2 },
    'the reserved units were sold; available unchanged by the commit',
  );

  const { payments, refunds } = await paymentsOf(stack.payment.url, orderId);
  assert.equal(payments.length, 1, 'one charge');
  assert.equal(payments[0]?.status, 'CAPTURED');
  assert.deepEqual(payments[0]?.amount, { amountMinor: 2_500, currency: 'EUR' });
  assert.deepEqual(refunds, []);
  const gateway = await gatewayRecords(stack.payment.context.pool);
  assert.deepEqual(
    gateway.charges.map((c) => [c.key, c.outcome, c.amountMinor]),
    [[payments[0]?.paymentId, 'CAPTURED', 2_500]],
    'the gateway captured once',
  );

  const sent = await notificationsSettled(stack.notification.url, orderId, 2);
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`).sort(),
    ['OrderConfirmed/email', 'OrderConfirmed/sms'],
    'one confirmation per channel',
  );

  const retry = await http<{ error: { code: string } }>(`${stack.order.url}/sagas/${orderId}/retry`, {
    method: 'POST',
    token: await operatorToken(),
  });
  assert.equal(retry.status, 409, 'an operator retry only applies to a failed saga');
  assert.equal(retry.body.error.code, 'ORD_SAGA_NOT_FAILED');
});

test('a declined payment releases the reservation (available back where it was) and CANCELS the order with PAYMENT_DECLINED, telling the customer once', async (t) => {
  const declined = new Set<string>();
  const stack = await startStack(t, {
    definitions: { payment: simulatedPaymentService({ decide: declineCustomers(declined) }) },
  });
  const poster = sku('POSTER');
  await putStock(stack.inventory.url, poster, 4, 900);
  const customerId = randomUUID();
  declined.add(customerId);
  const orderId = await placeOrder(stack.order.url, [{ sku: poster, quantity: 3 }], { customerId });

  const order = await settled(stack.order.url, orderId);
  // CANCELLED only once every compensation has replied: the stock is back at the moment the status says so.
  const stock = await product(stack.inventory.url, poster);
  assert.equal(order.status, 'CANCELLED', describeSaga(order));
  assert.equal(order.cancelReason?.code, 'PAYMENT_DECLINED', describeSaga(order));
  assert.equal(order.refunded, undefined, 'nothing was captured, nothing refunded');
  assert.deepEqual(
    { available: stock.available, reserved: stock.reserved, sold: stock.sold },
    { available: 4, reserved: 0, sold: 0 },
    `the reservation was released before the order showed CANCELLED\n${describeSaga(order)}`,
  );
  const finished = await sagaFinished(stack.order.url, orderId);
  assert.equal(finished.saga?.state, 'CANCELLED', describeSaga(finished));
  assertStep(finished, 'CHARGE_PAYMENT', 'FAILED');
  assertStep(finished, 'RELEASE_STOCK', 'SUCCEEDED');
  assert.equal(stepsOf(finished, 'COMMIT_STOCK').length, 0, `nothing committed\n${describeSaga(finished)}`);

  const { payments, refunds } = await paymentsOf(stack.payment.url, orderId);
  assert.deepEqual(
    payments.map((p) => p.status),
    ['DECLINED'],
  );
  assert.equal(refunds.filter((r) => r.amount.amountMinor > 0).length, 0, 'no money moved back');
  const gateway = await gatewayRecords(stack.payment.context.pool);
  assert.equal(gateway.charges.filter((c) => c.outcome === 'CAPTURED').length, 0, 'no capture at the gateway');

  const sent = await notificationsSettled(stack.notification.url, orderId, 1);
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`),
    ['OrderCancelled/email'],
    'exactly one notification: the cancellation',
  );
});

test('a cancellation after capture refunds the capture exactly once, releases the stock and CANCELS with CUSTOMER_CANCELLED; a second cancel changes nothing', async (t) => {
  const stack = await startStack(t);
  const lamp = sku('LAMP');
  await putStock(stack.inventory.url, lamp, 5, 1_000);
  const orderId = await placeOrder(stack.order.url, [{ sku: lamp, quantity: 2 }]);
  const confirmed = await sagaFinished(stack.order.url, orderId);
  assert.equal(confirmed.status, 'CONFIRMED', describeSaga(confirmed));
  assert.deepEqual(
    await product(stack.inventory.url, lamp).then((p) => [p.available, p.reserved, p.sold]),
    [3, 0, 2],
    'sold before the cancellation',
  );

  const accepted = await cancelOrder(stack.order.url, orderId);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  assert.equal(accepted.body.orderId, orderId);
  assert.ok(['CONFIRMED', 'CANCELLED'].includes(accepted.body.status), 'the view of the order being cancelled');

  const cancelled = await orderWhere(stack.order.url, orderId, (o) => o.status === 'CANCELLED', 'CANCELLED');
  const stock = await product(stack.inventory.url, lamp);
  assert.equal(cancelled.cancelReason?.code, 'CUSTOMER_CANCELLED', describeSaga(cancelled));
  assert.deepEqual(cancelled.refunded, { amountMinor: 2_000, currency: 'EUR' }, describeSaga(cancelled));
  assert.deepEqual(
    [stock.available, stock.reserved, stock.sold],
    [5, 0, 0],
    `the stock was back before the order showed CANCELLED\n${describeSaga(cancelled)}`,
  );
  const finished = await sagaFinished(stack.order.url, orderId);
  assert.equal(finished.saga?.state, 'CANCELLED', describeSaga(finished));
  assertStep(finished, 'REFUND_PAYMENT', 'SUCCEEDED');
  assertStep(finished, 'RELEASE_STOCK', 'SUCCEEDED');

  const after = await paymentsOf(stack.payment.url, orderId);
  assert.equal(after.payments.length, 1);
  assert.equal(after.payments[0]?.status, 'CAPTURED');
  assert.deepEqual(
    after.refunds.map((r) => r.amount),
    [{ amountMinor: 2_000, currency: 'EUR' }],
    'exactly one refund, equal to the capture',
  );
  const sent = await notificationsSettled(stack.notification.url, orderId, 2);
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`),
    ['OrderConfirmed/email', 'OrderCancelled/email'],
    'the cancellation notice follows the confirmation, once',
  );

  const again = await cancelOrder(stack.order.url, orderId);
  assert.equal(again.status, 200, 'already cancelled');
  assert.equal(again.body.status, 'CANCELLED');
  await sleep(SETTLE_QUIET_MS);
  const gateway = await gatewayRecords(stack.payment.context.pool);
  assert.deepEqual(
    gateway.refunds.map((r) => r.amountMinor),
    [2_000],
    'the gateway refunded once, also after the second cancel',
  );
  assert.deepEqual((await paymentsOf(stack.payment.url, orderId)).refunds, after.refunds);
  assert.equal((await notifications(stack.notification.url, orderId)).length, 2, 'no further notification');
  assert.deepEqual(await product(stack.inventory.url, lamp).then((p) => [p.available, p.reserved, p.sold]), [5, 0, 0]);
  assert.deepEqual((await getOrder(stack.order.url, orderId)).saga, finished.saga, 'the saga did not move');

  const unknown = await cancelOrder(stack.order.url, randomUUID());
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error?.code, 'ORD_NOT_FOUND');
});

test('a cancellation while the charge is in flight leaves nothing captured and the stock back, and CANCELS with CUSTOMER_CANCELLED', async (t) => {
  const stack = await startStack(t, {
    // A slow gateway keeps the order in CHARGING long enough to cancel it there.
    definitions: { payment: simulatedPaymentService({ latencyMs: 2_000 }) },
  });
  const chair = sku('CHAIR');
  await putStock(stack.inventory.url, chair, 3, 4_000);
  const orderId = await placeOrder(stack.order.url, [{ sku: chair, quantity: 1 }]);
  await orderWhere(stack.order.url, orderId, (o) => o.saga?.state === 'CHARGING', 'CHARGING', 20_000);

  const accepted = await cancelOrder(stack.order.url, orderId);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const order = await orderWhere(stack.order.url, orderId, (o) => o.status === 'CANCELLED', 'CANCELLED');
  const stock = await product(stack.inventory.url, chair);
  assert.equal(order.cancelReason?.code, 'CUSTOMER_CANCELLED', describeSaga(order));
  assert.deepEqual([stock.available, stock.reserved, stock.sold], [3, 0, 0], describeSaga(order));
  await sagaFinished(stack.order.url, orderId);

  await sleep(SETTLE_QUIET_MS);
  const { payments, refunds } = await paymentsOf(stack.payment.url, orderId);
  const captured = payments.filter((p) => p.status === 'CAPTURED').reduce((sum, p) => sum + p.amount.amountMinor, 0);
  const refunded = refunds.reduce((sum, r) => sum + r.amount.amountMinor, 0);
  assert.equal(captured - refunded, 0, `whatever was captured was refunded\n${JSON.stringify({ payments, refunds })}`);
  assert.equal(refunds.filter((r) => r.amount.amountMinor > 0).length, captured > 0 ? 1 : 0, 'at most one refund');
  assert.deepEqual(order.refunded ?? { amountMinor: 0, currency: 'EUR' }, { amountMinor: refunded, currency: 'EUR' });
  const sent = await notificationsSettled(stack.notification.url, orderId, 1);
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`),
    ['OrderCancelled/email'],
  );
});

test('the Payment Service down for 30 s during a charge: the saga re-sends the same ChargePayment, then CONFIRMS; the gateway captured once', async (t) => {
  const stack = await startStack(t, { env: { order: { SAGA_STEP_TIMEOUT_MS: String(OUTAGE_STEP_TIMEOUT_MS) } } });
  const desk = sku('DESK');
  await putStock(stack.inventory.url, desk, 2, 15_000);
  await stack.payment.stop();
  const stoppedAt = performance.now();
  const orderId = await placeOrder(stack.order.url, [{ sku: desk, quantity: 1 }]);
  const charging = await orderWhere(stack.order.url, orderId, (o) => o.saga?.state === 'CHARGING', 'CHARGING');
  assert.equal(charging.status, 'PENDING');

  await sleep(PAYMENT_OUTAGE_MS - (performance.now() - stoppedAt));
  const during = await getOrder(stack.order.url, orderId);
  assert.equal(during.status, 'PENDING', `still waiting for the payment\n${describeSaga(during)}`);
  assert.equal(during.saga?.state, 'CHARGING', describeSaga(during));
  const restartedAt = performance.now();
  const payment = await restartService(t, simulatedPaymentService(), stack.payment);

  const confirmed = await settled(stack.order.url, orderId, 60_000);
  const confirmSeconds = (performance.now() - restartedAt) / 1_000;
  assert.equal(confirmed.status, 'CONFIRMED', describeSaga(confirmed));
  const order = await sagaFinished(stack.order.url, orderId);
  const charges = stepsOf(order, 'CHARGE_PAYMENT');
  process.stdout.write(
    `# payment outage ${PAYMENT_OUTAGE_MS / 1_000} s, step timeout ${OUTAGE_STEP_TIMEOUT_MS} ms: ` +
      `${charges.length} ChargePayment attempts (${charges.map((c) => c.status).join(', ')}); ` +
      `CONFIRMED ${confirmSeconds.toFixed(1)} s after the Payment Service came back\n`,
  );
  assert.ok(charges.length > 1, `the charge was re-sent during the outage\n${describeSaga(order)}`);
  assert.deepEqual(
    charges.map((c) => c.attempt),
    charges.map((_, i) => i + 1),
    `attempts are numbered 1..n\n${describeSaga(order)}`,
  );
  assert.ok(
    charges.slice(0, -1).every((c) => c.status === 'TIMED_OUT'),
    `every attempt but the last timed out\n${describeSaga(order)}`,
  );
  assertStep(order, 'CHARGE_PAYMENT', 'SUCCEEDED');
  assertStep(order, 'COMMIT_STOCK', 'SUCCEEDED');

  await sleep(SETTLE_QUIET_MS);
  const { payments, refunds } = await paymentsOf(payment.url, orderId);
  assert.deepEqual(
    payments.map((p) => [p.status, p.amount.amountMinor]),
    [['CAPTURED', 15_000]],
    'one payment: every re-send carried the same paymentId',
  );
  assert.deepEqual(refunds, []);
  const gateway = await gatewayRecords(payment.context.pool);
  assert.deepEqual(
    gateway.charges.map((c) => [c.key, c.outcome]),
    [[payments[0]?.paymentId, 'CAPTURED']],
    'the gateway saw one capture for the order',
  );
  assert.deepEqual(await product(stack.inventory.url, desk).then((p) => [p.available, p.reserved, p.sold]), [1, 0, 1]);
  const sent = await notificationsSettled(stack.notification.url, orderId, 1);
  assert.deepEqual(
    sent.map((n) => `${n.outcome}/${n.channel}`),
    ['OrderConfirmed/email'],
  );
});

test('replies delivered again — the same records, then re-issued copies with new event ids in reverse order — change nothing', async (t) => {
  const stack = await startStack(t);
  const vase = sku('VASE');
  await putStock(stack.inventory.url, vase, 4, 3_000);
  const orderId = await placeOrder(stack.order.url, [{ sku: vase, quantity: 1 }]);
  const before = await sagaFinished(stack.order.url, orderId);
  assert.equal(before.status, 'CONFIRMED', describeSaga(before));
  const sentBefore = await notificationsSettled(stack.notification.url, orderId, 1);

  const replyTopics = [topicName('reservationResults'), topicName('paymentResults')].map((id) =>
    stack.namespace.topic(id),
  );
  const ofOrder = (records: readonly KafkaRecord[]) => records.filter((record) => record.key === orderId);
  // The saga finished, so its three replies are in the log; 'end' also reads any extra one.
  const replies = ofOrder(await readTopic(replyTopics, 'end'));
  assert.deepEqual(
    replies.map((r) => r.headers.get(HEADERS.eventType)?.toString()).sort(),
    ['InventoryReserved', 'PaymentCaptured', 'ReservationCommitted'],
    'the replies of the saga',
  );
  // Exact duplicates (the inbox's case), then new events with the same facts, latest first (the saga's case).
  const reissued = [...replies].reverse().map((record) => {
    const header = (name: string) => record.headers.get(name)?.toString() ?? '';
    const meta = newEventMeta({
      type: header(HEADERS.eventType) as EventType,
      producer: header(HEADERS.producer) as ServiceName,
      correlationId: header(HEADERS.correlationId),
    });
    const encoded = encodeEvent({ meta, payload: JSON.parse(record.value.toString()) as never });
    return {
      topic: record.topic,
      key: record.key,
      value: encoded.value,
      headers: new Map(Object.entries(encoded.headers)),
    };
  });
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  await producer.send({
    messages: [
      ...replies.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers })),
      ...reissued,
    ],
  });

  // Wait until the saga's consumer group has committed past every record of the order.
  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const groupId = stack.namespace.group(consumer('orderSaga').groupId);
  const latest = ofOrder(await readTopic(replyTopics, (records) => ofOrder(records).length >= replies.length * 3));
  await eventually(
    async () => {
      for (const topic of replyTopics) {
        const ofTopic = latest.filter((r) => r.topic === topic);
        const partition = ofTopic[0]?.partition ?? 0;
        const last = Math.max(-1, ...ofTopic.map((r) => Number(r.offset)));
        const [group] = await admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] }],
        });
        const committed = Number(group?.topics[0]?.partitions[0]?.committedOffset ?? -1n);
        if (committed <= last) return undefined;
      }
      return true;
    },
    30_000,
    'the order saga consumed the replayed replies',
  );

  const after = await getOrder(stack.order.url, orderId);
  assert.equal(after.status, 'CONFIRMED');
  assert.deepEqual(after.saga, before.saga, `the saga did not move\n${describeSaga(after)}`);
  assert.deepEqual(await product(stack.inventory.url, vase).then((p) => [p.available, p.reserved, p.sold]), [3, 0, 1]);
  const { payments, refunds } = await paymentsOf(stack.payment.url, orderId);
  assert.deepEqual(
    payments.map((p) => p.status),
    ['CAPTURED'],
  );
  assert.deepEqual(refunds, []);
  assert.deepEqual(await notifications(stack.notification.url, orderId), sentBefore, 'no further notification');
});
