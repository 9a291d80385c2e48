/**
 * The orderSaga consumer on the real broker and database: the Inventory simulator answers OrderPlaced
 * with InventoryReserved / InventoryFailed, the saga-replies simulator answers the saga's commands as the
 * Payment Service and Inventory would, and the test watches the order, the command and outcome topics and
 * the saga's dead-letter topic.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { deadLetterTopicOf, encodeEvent, FAILURE_HEADERS, newEventMeta } from '@shop/contracts';
import { eventually, readTopic } from '@shop/test-support';
import pg from 'pg';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the order saga consumer', async (t) => {
  const stack = await startOrderStack(t);
  const { api, inventory, outcomes, service, namespace, replies } = stack;
  const { pool } = service.context;

  async function place(overrides: Record<string, unknown> = {}) {
    const body = orderBody(overrides);
    const response = await api.post('/orders', body);
    assert.equal(response.status, 202);
    await inventory.placed(response.body.orderId);
    return { body, orderId: response.body.orderId as string };
  }

  /** Waits until the consumer has handled (committed) the event with this id. */
  async function handled(eventId: string) {
    await eventually(
      async () =>
        (await pool.query('SELECT 1 FROM inbox WHERE event_id = $1', [eventId])).rowCount === 1 ? true : undefined,
      15_000,
      `event ${eventId} handled`,
    );
  }

  /**
   * Waits until whatever the handlers appended was published and read: the outbox is empty (the relay deletes
   * a row once the broker acknowledged it), then every recorder has read its topic to the end. A command or
   * outcome missing after this was never written.
   */
  async function everythingPublished() {
    await eventually(
      async () => ((await pool.query('SELECT 1 FROM outbox LIMIT 1')).rowCount === 0 ? true : undefined),
      15_000,
      'the outbox drained',
    );
    await Promise.all([outcomes, replies.paymentCommands, replies.inventoryCommands].map((r) => r.caughtUp()));
  }

  async function metric(pattern: RegExp): Promise<number> {
    const text = await (await fetch(new URL('/metrics', service.url))).text();
    return Number(pattern.exec(text)?.[1] ?? 0);
  }

  async function cancel(orderId: string) {
    // As an operator (order-api.ts): the cancellation's saga is the same whoever asks.
    const { status, body } = await api.post(`/orders/${orderId}/cancel`, undefined);
    return { status, body };
  }

  await t.test(
    'InventoryReserved should charge the reserved total; PaymentCaptured should confirm the order, publish OrderConfirmed with the contact and commit the stock',
    async () => {
      const { body, orderId } = await place();
      const replyId = await inventory.reserve(orderId, { unitPriceMinor: 1_250 });
      const charge = await replies.command(orderId, 'ChargePayment');
      const chargePayload = charge.event.payload as Record<string, unknown>;
      assert.equal(chargePayload.customerId, body.customerId);
      assert.deepEqual(chargePayload.amount, { amountMinor: 3 * 1_250, currency: 'EUR' });
      assert.ok(Date.parse(String(chargePayload.expiresAt)) > Date.now(), 'expires in the future');
      assert.equal(charge.meta.causationId, replyId, 'the charge is caused by the reservation');
      assert.equal(charge.key, orderId);
      const charging = await api.get(`/orders/${orderId}`);
      assert.equal(charging.body.status, 'PENDING');
      assert.equal(charging.body.saga.state, 'CHARGING');

      const captureId = await replies.capture(orderId);
      const [confirmed] = await outcomes.waitForOrder(orderId);
      assert.ok(confirmed);
      assert.equal(confirmed.event.type, 'OrderConfirmed');
      assert.deepEqual(confirmed.event.payload, {
        orderId,
        contact: body.contact,
        lines: body.items,
        total: { amountMinor: 3 * 1_250, currency: 'EUR' },
      });
      assert.equal(confirmed.key, orderId);
      assert.equal(confirmed.meta.causationId, captureId, 'caused by the capture');
      assert.equal(confirmed.meta.correlationId, orderId, 'same flow as the order');

      const response = await api.get(`/orders/${orderId}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('retry-after'), null, 'nothing to retry once final');
      const { createdAt, updatedAt, settledAt, saga, ...rest } = response.body;
      assert.deepEqual(rest, {
        orderId,
        customerId: body.customerId,
        status: 'CONFIRMED',
        items: body.items,
        total: { amountMinor: 3_750, currency: 'EUR' },
      });
      assert.ok(Date.parse(settledAt) >= Date.parse(createdAt));
      assert.equal(updatedAt, settledAt);
      assert.equal(saga.state, 'CONFIRMED');
      assert.deepEqual(
        saga.steps.map((step: Record<string, unknown>) => [step.step, step.attempt, step.status]),
        [
          ['RESERVE_STOCK', 1, 'SUCCEEDED'],
          ['CHARGE_PAYMENT', 1, 'SUCCEEDED'],
          ['COMMIT_STOCK', 1, 'STARTED'],
        ],
      );
      const commit = await replies.command(orderId, 'CommitReservation');
      assert.equal(commit.meta.causationId, captureId);
      await handled(await replies.committed(orderId));
      const committed = await api.get(`/orders/${orderId}`);
      assert.equal(committed.body.saga.steps[2].status, 'SUCCEEDED');
      assert.ok(committed.body.saga.steps[2].finishedAt);

      const steps = await pool.query(
        'SELECT st.step, st.reply_event_id FROM order_saga_steps st WHERE order_id = $1 ORDER BY started_at',
        [orderId],
      );
      assert.deepEqual(
        steps.rows.slice(0, 2).map((row) => row.reply_event_id),
        [replyId, captureId],
      );
      assert.ok((await metric(/^orders_settled_total\{status="CONFIRMED"\} (\d+)/m)) >= 1);
      assert.ok((await metric(/^order_settlement_seconds_count\{status="CONFIRMED"\} (\d+)/m)) >= 1);
    },
  );

  await t.test('InventoryFailed should cancel the order with the reason and publish OrderCancelled', async () => {
    const { body, orderId } = await place();
    const replyId = await inventory.fail(orderId, [
      { sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 },
      { sku: 'TEE-M-BLK', reason: 'UNKNOWN_SKU', requested: 1 },
    ]);
    const [cancelled] = await outcomes.waitForOrder(orderId);
    assert.ok(cancelled);
    assert.equal(cancelled.event.type, 'OrderCancelled');
    assert.equal(cancelled.meta.causationId, replyId);
    const payload = cancelled.event.payload as {
      orderId: string;
      contact: unknown;
      reason: { code: string; message: string };
    };
    assert.deepEqual(payload.contact, body.contact);
    assert.equal(payload.reason.code, 'ITEMS_UNAVAILABLE');
    assert.match(payload.reason.message, /MUG-RED: 2 ordered, only 1 available/);
    assert.match(payload.reason.message, /TEE-M-BLK is not sold here/);
    assert.equal('refunded' in payload, false, 'nothing was captured, nothing refunded');

    const response = await api.get(`/orders/${orderId}`);
    assert.equal(response.body.status, 'CANCELLED');
    assert.deepEqual(response.body.cancelReason, payload.reason);
    assert.equal(response.body.total, undefined);
    assert.equal(response.body.message, undefined);
    assert.ok(response.body.settledAt);
  });

  await t.test('GET ?wait=5 should return as soon as the order settles, well before the wait ends', async () => {
    const { orderId } = await place();
    const waiting = api.get(`/orders/${orderId}?wait=5`);
    await sleep(300);
    await inventory.reserve(orderId);
    await replies.capture(orderId);
    const response = await waiting;
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'CONFIRMED');
    assert.equal(response.headers.get('retry-after'), null);
    // Answered by the in-process wake-up after the settling commit, long before the wait ends.
    assert.ok(response.elapsedMs >= 300 && response.elapsedMs < 3_000, `answered after ${response.elapsedMs} ms`);
  });

  await t.test(
    'GET ?wait should answer when the order is settled by another connection (another instance), not this process',
    async () => {
      const { orderId } = await place();
      const waiting = api.get(`/orders/${orderId}?wait=10`);
      await sleep(300);
      const elsewhere = new pg.Client({ connectionString: service.context.config.databaseUrl });
      await elsewhere.connect();
      try {
        await elsewhere.query(
          `UPDATE orders SET status = 'CANCELLED', cancel_reason_code = 'PROCESSING_TIMEOUT',
             cancel_reason_message = 'settled elsewhere', settled_at = now(), updated_at = now() WHERE id = $1`,
          [orderId],
        );
      } finally {
        await elsewhere.end();
      }
      const response = await waiting;
      assert.equal(response.status, 200);
      assert.equal(response.body.status, 'CANCELLED');
      // This process never saw the write: the hub's poll (300 ms) found it, well before the 10 s wait.
      assert.ok(response.elapsedMs >= 300 && response.elapsedMs < 3_000, `answered after ${response.elapsedMs} ms`);
    },
  );

  await t.test('GET ?wait should answer PENDING with Retry-After when nothing settles within the wait', async () => {
    const { orderId } = await place();
    const response = await api.get(`/orders/${orderId}?wait=0.5`);
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'PENDING');
    assert.equal(response.headers.get('retry-after'), '1');
    assert.ok(response.elapsedMs >= 490 && response.elapsedMs < 3_000, `answered after ${response.elapsedMs} ms`);
  });

  await t.test(
    'a duplicate or late reservation result for a settled order should change nothing and publish nothing',
    async () => {
      const confirmed = await place();
      await inventory.reserve(confirmed.orderId);
      await replies.capture(confirmed.orderId);
      await outcomes.waitForOrder(confirmed.orderId);
      const cancelled = await place();
      await inventory.fail(cancelled.orderId);
      await outcomes.waitForOrder(cancelled.orderId);
      const before = await Promise.all([confirmed, cancelled].map(({ orderId }) => api.get(`/orders/${orderId}`)));
      const ignoredBefore = await metric(
        /^order_saga_ignored_replies_total\{type="InventoryReserved",contradicts="false"\} (\d+)/m,
      );

      const late = [
        // Inventory answering a redelivered OrderPlaced again: a new event id, the same decision, another price.
        await inventory.reserve(confirmed.orderId, { unitPriceMinor: 1 }),
        // A result contradicting the settled outcome, in both directions.
        await inventory.fail(confirmed.orderId),
        await inventory.reserve(cancelled.orderId),
        await inventory.fail(cancelled.orderId),
      ];
      for (const eventId of late) await handled(eventId);
      await everythingPublished();

      const after = await Promise.all([confirmed, cancelled].map(({ orderId }) => api.get(`/orders/${orderId}`)));
      assert.deepEqual(
        after.map((response) => response.body),
        before.map((response) => response.body),
        'orders unchanged, updatedAt included',
      );
      assert.equal(outcomes.forOrder(confirmed.orderId).length, 1, 'one outcome for the confirmed order');
      assert.equal(outcomes.forOrder(cancelled.orderId).length, 1, 'one outcome for the cancelled order');
      const caused = await pool.query(`SELECT count(*) AS n FROM outbox WHERE headers->>'causation-id' = ANY($1)`, [
        late,
      ]);
      assert.equal(Number(caused.rows[0].n), 0, 'nothing waiting in the outbox either');
      assert.equal(
        (await metric(/^order_saga_ignored_replies_total\{type="InventoryReserved",contradicts="false"\} (\d+)/m)) -
          ignoredBefore,
        1,
      );
      assert.equal(
        await metric(/^order_saga_ignored_replies_total\{type="InventoryFailed",contradicts="true"\} (\d+)/m),
        1,
      );
    },
  );

  await t.test(
    'payment replies for a payment the saga never made and replies for unknown orders should be dead-lettered with their ORD_ code, not dropped',
    async () => {
      const { orderId } = await place();
      await inventory.reserve(orderId);
      await replies.command(orderId, 'ChargePayment');
      const paymentMeta = newEventMeta({
        type: 'PaymentCaptured',
        producer: 'payment-service',
        correlationId: orderId,
      });
      await inventory.publish(
        encodeEvent({
          meta: paymentMeta,
          payload: { orderId, paymentId: randomUUID(), amount: { amountMinor: 100, currency: 'EUR' } },
        }),
      );
      const unknownOrder = randomUUID();
      const unknownMeta = newEventMeta({
        type: 'ReservationCommitted',
        producer: 'inventory-service',
        correlationId: unknownOrder,
      });
      await inventory.publish(encodeEvent({ meta: unknownMeta, payload: { orderId: unknownOrder } }));

      const dead = await readTopic(namespace.topic(deadLetterTopicOf('orderSaga').name), 2);
      const byEventId = new Map(dead.map((record) => [record.headers.get('event-id')?.toString(), record]));
      const header = (eventId: string, name: string) => byEventId.get(eventId)?.headers.get(name)?.toString();
      assert.equal(header(paymentMeta.eventId, FAILURE_HEADERS.errorCode), 'ORD_PAYMENT_MISMATCH');
      assert.equal(header(paymentMeta.eventId, FAILURE_HEADERS.kind), 'poison', 'not retried: it can never apply');
      assert.equal(header(unknownMeta.eventId, FAILURE_HEADERS.errorCode), 'ORD_UNKNOWN_ORDER');
      assert.equal((await api.get(`/orders/${orderId}`)).body.status, 'PENDING', 'the payment reply changed nothing');
    },
  );

  await t.test(
    'a declined charge should release the reservation and cancel the order only once the release is answered',
    async () => {
      const { orderId } = await place();
      await inventory.reserve(orderId);
      const declineId = await replies.decline(orderId);
      const release = await replies.command(orderId, 'ReleaseReservation');
      assert.equal(release.meta.causationId, declineId);
      await handled(declineId);
      const releasing = await api.get(`/orders/${orderId}`);
      assert.equal(releasing.body.status, 'PENDING', 'not CANCELLED while the stock is still held');
      assert.equal(releasing.body.saga.state, 'CANCELLING');
      assert.equal(outcomes.forOrder(orderId).length, 0);

      await replies.released(orderId);
      const [cancelled] = await outcomes.waitForOrder(orderId);
      assert.equal(cancelled?.event.type, 'OrderCancelled');
      const payload = cancelled?.event.payload as { reason: { code: string }; refunded?: unknown };
      assert.equal(payload.reason.code, 'PAYMENT_DECLINED');
      assert.equal(payload.refunded, undefined);
      const response = await api.get(`/orders/${orderId}`);
      assert.equal(response.body.status, 'CANCELLED');
      assert.equal(response.body.cancelReason.code, 'PAYMENT_DECLINED');
      assert.equal(replies.commands(orderId, 'RefundPayment').length, 0, 'nothing captured, nothing refunded');
    },
  );

  await t.test(
    'a cancellation after capture should refund once and release, then cancel with the refunded amount',
    async () => {
      const { orderId } = await place();
      await inventory.reserve(orderId, { unitPriceMinor: 1_000 });
      await replies.capture(orderId);
      await outcomes.waitForOrder(orderId);
      const accepted = await cancel(orderId);
      assert.equal(accepted.status, 202);
      assert.equal(accepted.body.status, 'CONFIRMED', 'confirmed until the compensations answered');
      assert.equal(accepted.body.saga.state, 'CANCELLING');
      const again = await cancel(orderId);
      assert.equal(again.status, 202, 'a repeated request is accepted and changes nothing');

      const refund = await replies.command(orderId, 'RefundPayment');
      const charge = await replies.command(orderId, 'ChargePayment');
      const refundPayload = refund.event.payload as Record<string, unknown>;
      assert.equal(refundPayload.paymentId, (charge.event.payload as Record<string, unknown>).paymentId);
      assert.deepEqual(refundPayload.amount, { amountMinor: 3_000, currency: 'EUR' });
      await replies.command(orderId, 'ReleaseReservation');
      await replies.refund(orderId);
      await replies.released(orderId);
      const [, cancelled] = await outcomes.waitForOrder(orderId, 2);
      assert.equal(cancelled?.event.type, 'OrderCancelled');
      assert.deepEqual((cancelled?.event.payload as { refunded?: unknown } | undefined)?.refunded, {
        amountMinor: 3_000,
        currency: 'EUR',
      });
      const final = await cancel(orderId);
      assert.equal(final.status, 200);
      assert.equal(final.body.status, 'CANCELLED');
      assert.equal(final.body.cancelReason.code, 'CUSTOMER_CANCELLED');
      assert.deepEqual(final.body.refunded, { amountMinor: 3_000, currency: 'EUR' });
      await everythingPublished();
      assert.equal(replies.commands(orderId, 'RefundPayment').length, 1, 'exactly one refund asked for');
      assert.equal(replies.commands(orderId, 'ReleaseReservation').length, 1);
      assert.equal(outcomes.forOrder(orderId).length, 2, 'confirmed, then cancelled: one outcome each');
    },
  );

  await t.test('injected duplicate and out-of-order replies should change nothing', async () => {
    const { orderId } = await place();
    await inventory.reserve(orderId);
    await replies.command(orderId, 'ChargePayment');
    // Out of order: answers to commands the saga has not sent (yet), while it waits for the charge.
    const inventoryReply = (type: 'ReservationCommitted' | 'ReservationReleased') =>
      inventory.publish(
        encodeEvent({
          meta: newEventMeta({ type, producer: 'inventory-service', correlationId: orderId }),
          payload: { orderId },
        }),
      );
    const early = [await inventoryReply('ReservationCommitted'), await inventoryReply('ReservationReleased')];
    for (const eventId of early) await handled(eventId);
    assert.equal((await api.get(`/orders/${orderId}`)).body.saga.state, 'CHARGING', 'still waiting for the charge');
    const captureId = await replies.capture(orderId);
    await outcomes.waitForOrder(orderId);
    await replies.command(orderId, 'CommitReservation');
    const before = (await api.get(`/orders/${orderId}`)).body;
    const injected = [
      await replies.capture(orderId), // a duplicate capture (the provider answered a re-sent charge)
      await replies.decline(orderId), // a contradicting decline of the same payment
      await inventory.reserve(orderId), // a duplicate reservation
      await inventoryReply('ReservationReleased'), // no release was asked for
    ];
    for (const eventId of injected) await handled(eventId);
    await everythingPublished();
    const after = (await api.get(`/orders/${orderId}`)).body;
    assert.deepEqual(after, before, 'order and saga unchanged, updatedAt included');
    assert.equal(outcomes.forOrder(orderId).length, 1, 'one OrderConfirmed');
    assert.equal(replies.commands(orderId, 'ChargePayment').length, 1, 'one charge');
    assert.equal(replies.commands(orderId, 'CommitReservation').length, 1, 'one commit');
    assert.equal(replies.commands(orderId, 'RefundPayment').length, 0, 'no refund');
    assert.ok(captureId);
  });

  // Last: it stops the service.
  await t.test(
    'stopping the service should answer long-polls at once instead of holding shutdown for their wait',
    async () => {
      const { orderId } = await place();
      const waiting = api.get(`/orders/${orderId}?wait=30`);
      await sleep(300);
      const started = performance.now();
      await service.stop();
      const stopMs = performance.now() - started;
      const response = await waiting;
      assert.equal(response.status, 200);
      assert.equal(response.body.status, 'PENDING');
      assert.equal(response.headers.get('retry-after'), '1');
      assert.ok(stopMs < 5_000, `stopped after ${stopMs} ms`);
    },
  );
});
