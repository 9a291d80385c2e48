/**
 * The orderSaga consumer on the real broker and database: the Inventory simulator answers OrderPlaced
 * with InventoryReserved / InventoryFailed and the test watches the order, the outcome topic and the
 * saga's dead-letter topic.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Message } from '@platformatic/kafka';
import { deadLetterTopicOf, encodeEvent, FAILURE_HEADERS, newEventMeta } from '@shop/contracts';
import { createConsumer } from '@shop/platform/kafka/clients';
import { eventually, testKafkaConnection, uniqueName } from '@shop/platform/testing';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

/** Time for the outbox relay to publish and the recorder to read anything a handler might have appended. */
const PUBLISH_GRACE_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the order saga consumer', async (t) => {
  const stack = await startOrderStack(t);
  const { api, inventory, outcomes, service, namespace } = stack;
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

  async function metric(pattern: RegExp): Promise<number> {
    const text = await (await fetch(new URL('/metrics', service.url))).text();
    return Number(pattern.exec(text)?.[1] ?? 0);
  }

  await t.test(
    'InventoryReserved should confirm the order with its total and publish OrderConfirmed with the contact',
    async () => {
      const { body, orderId } = await place();
      const replyId = await inventory.reserve(orderId, { unitPriceMinor: 1_250 });
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
      assert.equal(confirmed.meta.causationId, replyId, 'caused by the reservation');
      assert.equal(confirmed.meta.correlationId, orderId, 'same flow as the order');

      const response = await api.get(`/orders/${orderId}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('retry-after'), null, 'nothing to retry once final');
      const { createdAt, updatedAt, settledAt, ...rest } = response.body;
      assert.deepEqual(rest, {
        orderId,
        customerId: body.customerId,
        status: 'CONFIRMED',
        items: body.items,
        total: { amountMinor: 3_750, currency: 'EUR' },
      });
      assert.ok(Date.parse(settledAt) >= Date.parse(createdAt));
      assert.equal(updatedAt, settledAt);

      const steps = await pool.query(
        'SELECT s.state, st.status, st.reply_event_id FROM order_sagas s JOIN order_saga_steps st USING (order_id) WHERE order_id = $1',
        [orderId],
      );
      assert.deepEqual(steps.rows, [{ state: 'CONFIRMED', status: 'SUCCEEDED', reply_event_id: replyId }]);
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
    const response = await waiting;
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'CONFIRMED');
    assert.equal(response.headers.get('retry-after'), null);
    // The listener's safety poll is 5 s, so only the NOTIFY can have answered this early.
    assert.ok(response.elapsedMs >= 300 && response.elapsedMs < 3_000, `answered after ${response.elapsedMs} ms`);
  });

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
      await sleep(PUBLISH_GRACE_MS);

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
    'payment replies and replies for unknown orders should be dead-lettered with their ORD_ code, not dropped',
    async () => {
      const { orderId } = await place();
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
        type: 'InventoryFailed',
        producer: 'inventory-service',
        correlationId: unknownOrder,
      });
      await inventory.publish(
        encodeEvent({
          meta: unknownMeta,
          payload: { orderId: unknownOrder, failures: [{ sku: 'MUG-RED', reason: 'UNKNOWN_SKU', requested: 1 }] },
        }),
      );

      const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-dlt'));
      t.after(() => consumer.close(true));
      const stream = await consumer.consume({
        topics: [namespace.topic(deadLetterTopicOf('orderSaga').name)],
        mode: 'earliest',
        maxWaitTime: 200,
      });
      const dead: Message<string, Buffer, string, Buffer>[] = [];
      for await (const record of stream) {
        dead.push(record);
        if (dead.length >= 2) break;
      }
      await stream.close();
      const byEventId = new Map(dead.map((record) => [record.headers.get('event-id')?.toString(), record]));
      const header = (eventId: string, name: string) => byEventId.get(eventId)?.headers.get(name)?.toString();
      assert.equal(header(paymentMeta.eventId, FAILURE_HEADERS.errorCode), 'ORD_UNEXPECTED_EVENT');
      assert.equal(
        header(paymentMeta.eventId, FAILURE_HEADERS.kind),
        'poison',
        'not retried: no version of today can handle it',
      );
      assert.equal(header(unknownMeta.eventId, FAILURE_HEADERS.errorCode), 'ORD_UNKNOWN_ORDER');
      assert.equal((await api.get(`/orders/${orderId}`)).body.status, 'PENDING', 'the payment reply changed nothing');
    },
  );

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
