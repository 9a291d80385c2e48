/**
 * The orderSaga batch handler called directly on a real transaction (as the runner calls it, after the
 * inbox insert): replies of one saga applied in batch order, rejections as outcomes, the lock order of
 * concurrent batches, and what a batch costs in statements.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { type EventBatchItem, inTransaction } from '@shop/platform';
import { createOrderSagaHandler } from '../../src/events/order-saga-consumer.ts';
import { batchItem, createOrderDatabase, type OrderDatabase } from '../support/order-database.ts';

const UNIT_PRICE = { amountMinor: 1_000, currency: 'EUR' };
/** The lines of `orderBody()`: MUG-RED × 2 and TEE-M-BLK × 1. */
const LINES = [
  { sku: 'MUG-RED', quantity: 2, unitPrice: UNIT_PRICE },
  { sku: 'TEE-M-BLK', quantity: 1, unitPrice: UNIT_PRICE },
];
const TOTAL = { amountMinor: 3_000, currency: 'EUR' };

const reserved = (index: number, orderId: string) =>
  batchItem(index, 'InventoryReserved', 'inventory-service', { orderId, lines: LINES, total: TOTAL });
const captured = (index: number, orderId: string, paymentId: string) =>
  batchItem(index, 'PaymentCaptured', 'payment-service', { orderId, paymentId, amount: TOTAL });
const committed = (index: number, orderId: string) =>
  batchItem(index, 'ReservationCommitted', 'inventory-service', { orderId });

async function stepsOf(database: OrderDatabase, orderId: string) {
  const { rows } = await database.pool.query<{
    step: string;
    attempt: number;
    status: string;
    reply_event_id: string | null;
    request_event_id: string | null;
    deadline_at: Date | null;
  }>(
    `SELECT step, attempt, status, reply_event_id, request_event_id, deadline_at FROM order_saga_steps
     WHERE order_id = $1 ORDER BY started_at, attempt, step`,
    [orderId],
  );
  return rows;
}

async function outboxOf(database: OrderDatabase, orderId: string) {
  const { rows } = await database.pool.query<{ event_id: string; event_type: string; causation: string | null }>(
    `SELECT event_id, event_type, headers->>'causation-id' AS causation FROM outbox
     WHERE message_key = $1 ORDER BY id`,
    [orderId],
  );
  return rows;
}

test('the orderSaga batch handler', async (t) => {
  const database = await createOrderDatabase(t, 'order_batch');
  const { pool } = database;
  /** The ids the saga's next decisions use for new payments and refunds, so the test can answer them. */
  const sagaIds: string[] = [];
  const handler = createOrderSagaHandler({ ...database.saga, newId: () => sagaIds.shift() ?? randomUUID() });
  const run = (items: EventBatchItem[]) =>
    inTransaction(pool, (client) => handler(items, { client, logger: database.logger }));

  await t.test('a batch holding two replies for one saga should apply both, one after the other', async () => {
    const orderId = await database.place();
    const paymentId = randomUUID();
    sagaIds.push(paymentId);
    const reserve = reserved(0, orderId);
    const capture = captured(1, orderId, paymentId);
    const result = await run([reserve, capture]);
    assert.equal(result?.rejected?.length ?? 0, 0);

    const order = await pool.query('SELECT status, total_amount_minor FROM orders WHERE id = $1', [orderId]);
    assert.equal(order.rows[0].status, 'CONFIRMED');
    assert.equal(Number(order.rows[0].total_amount_minor), 3_000);
    const saga = await pool.query(
      'SELECT state, payment_id, captured_amount_minor FROM order_sagas WHERE order_id = $1',
      [orderId],
    );
    assert.deepEqual(
      { ...saga.rows[0], captured_amount_minor: Number(saga.rows[0].captured_amount_minor) },
      { state: 'CONFIRMED', payment_id: paymentId, captured_amount_minor: 3_000 },
    );
    const steps = await stepsOf(database, orderId);
    const charge = (await outboxOf(database, orderId)).find((row) => row.event_type === 'ChargePayment');
    assert.deepEqual(
      steps.map((step) => [step.step, step.attempt, step.status, step.reply_event_id]),
      [
        ['RESERVE_STOCK', 1, 'SUCCEEDED', reserve.meta.eventId],
        // Started by the first reply and finished by the second, in the same transaction.
        ['CHARGE_PAYMENT', 1, 'SUCCEEDED', capture.meta.eventId],
        ['COMMIT_STOCK', 1, 'STARTED', null],
      ],
    );
    assert.equal(steps[1]?.request_event_id, charge?.event_id, 'the charge step names its command');
    assert.equal(steps[1]?.deadline_at, null, 'a finished attempt has no deadline');
    assert.ok(steps[2]?.deadline_at instanceof Date, 'the open commit has one');
    assert.deepEqual(
      (await outboxOf(database, orderId)).map((row) => [row.event_type, row.causation]),
      [
        ['OrderPlaced', null],
        ['ChargePayment', reserve.meta.eventId],
        ['CommitReservation', capture.meta.eventId],
        ['OrderConfirmed', capture.meta.eventId],
      ],
    );
  });

  await t.test(
    'replies of one saga should be decided in array order, each on the result of the one before',
    async () => {
      const orderId = await database.place();
      const paymentId = randomUUID();
      sagaIds.push(paymentId);
      // The capture comes first: the saga has no payment yet, so it names a payment the saga never made.
      const result = await run([captured(0, orderId, paymentId), reserved(1, orderId)]);
      assert.deepEqual(
        result?.rejected?.map((rejection) => [rejection.index, (rejection.error as { code?: string }).code]),
        [[0, 'ORD_PAYMENT_MISMATCH']],
      );
      const saga = await pool.query('SELECT state FROM order_sagas WHERE order_id = $1', [orderId]);
      assert.equal(saga.rows[0].state, 'CHARGING', 'the reservation still applied');
    },
  );

  await t.test(
    'a reservation for an unknown order should be answered with a release in the same batch, and its answer and a failed reservation should be acknowledged',
    async () => {
      const [unknown, failedUnknown] = [randomUUID(), randomUUID()];
      const reservation = reserved(0, unknown);
      const copy = reserved(1, unknown);
      const result = await run([
        reservation,
        batchItem(2, 'InventoryFailed', 'inventory-service', {
          orderId: failedUnknown,
          failures: [{ sku: 'MUG-RED', reason: 'UNKNOWN_SKU', requested: 1 }],
        }),
        batchItem(3, 'ReservationReleased', 'inventory-service', { orderId: unknown }),
      ]);
      assert.equal(result, undefined, 'nothing refused');
      const released = await outboxOf(database, unknown);
      assert.deepEqual(
        released.map((row) => [row.event_type, row.causation]),
        [['ReleaseReservation', reservation.meta.eventId]],
      );
      assert.deepEqual(await outboxOf(database, failedUnknown), [], 'nothing is held for a failed reservation');
      const orders = await pool.query('SELECT 1 FROM orders WHERE id = ANY($1)', [[unknown, failedUnknown]]);
      assert.equal(orders.rowCount, 0, 'no order or saga is created for them');

      // A second copy (a new event id) asks again; Inventory answers a repeated release without moving stock.
      assert.equal(await run([copy]), undefined);
      assert.deepEqual(
        (await outboxOf(database, unknown)).map((row) => row.causation),
        [reservation.meta.eventId, copy.meta.eventId],
      );
    },
  );

  await t.test(
    'replies for unknown orders and replies the saga refuses should be rejections, and the rest of the batch should apply',
    async () => {
      const [applies, refused] = [await database.place(), await database.place()];
      const before = await pool.query('SELECT updated_at FROM orders WHERE id = $1', [refused]);
      sagaIds.push(randomUUID());
      const unknown = randomUUID();
      const result = await run([
        captured(0, unknown, randomUUID()),
        reserved(1, applies),
        batchItem(2, 'InventoryReserved', 'inventory-service', {
          orderId: refused,
          lines: [{ sku: 'MUG-RED', quantity: 1, unitPrice: UNIT_PRICE }],
          total: UNIT_PRICE,
        }),
      ]);
      assert.deepEqual(
        result?.rejected?.map((rejection) => [rejection.index, (rejection.error as { code?: string }).code]),
        [
          [0, 'ORD_UNKNOWN_ORDER'],
          [2, 'ORD_RESERVATION_MISMATCH'],
        ],
      );
      const states = await pool.query('SELECT order_id, state FROM order_sagas WHERE order_id = ANY($1)', [
        [applies, refused],
      ]);
      assert.deepEqual(Object.fromEntries(states.rows.map((row) => [row.order_id, row.state])), {
        [applies]: 'CHARGING',
        [refused]: 'RESERVING',
      });
      const after = await pool.query('SELECT updated_at FROM orders WHERE id = $1', [refused]);
      assert.deepEqual(after.rows[0].updated_at, before.rows[0].updated_at, 'the refused reply wrote nothing');
      assert.equal((await outboxOf(database, refused)).length, 1, 'only its OrderPlaced');
    },
  );

  await t.test(
    'a batch should lock its sagas in order id order, so overlapping batches wait instead of deadlocking',
    async () => {
      const orderIds = await Promise.all(Array.from({ length: 40 }, () => database.place()));
      const ignored = (ids: readonly string[]) => ids.map((orderId, index) => committed(index, orderId));
      // A holds its locks (its transaction stays open) while B, over the same sagas in the opposite array
      // order, must wait for the first of them; B then sees A's result.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await handler(ignored(orderIds), { client, logger: database.logger });
        const b = run(ignored([...orderIds].reverse()));
        const waiting = async () => {
          const { rows } = await pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows[0].n as number;
        };
        for (let tries = 0; (await waiting()) === 0; tries++) {
          assert.ok(tries < 100, 'B waits for A');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query('COMMIT');
        assert.equal((await b)?.rejected?.length ?? 0, 0);
      } finally {
        client.release();
      }
      // Many concurrent batches over overlapping sets in opposite and shuffled orders: none deadlocks (40P01).
      const shuffled = () => [...orderIds].sort(() => Math.random() - 0.5).slice(0, 30);
      const rounds = await Promise.allSettled(
        Array.from({ length: 12 }, (_, round) =>
          run(ignored(round % 3 === 0 ? orderIds : round % 3 === 1 ? [...orderIds].reverse() : shuffled())),
        ),
      );
      assert.deepEqual(
        rounds.filter((round) => round.status === 'rejected').map((round) => String(round.reason)),
        [],
      );
    },
  );

  await t.test('the saga of a batch of orders should cost at most 5 statements per order', async (t) => {
    const orders = 50;
    const orderIds = await Promise.all(Array.from({ length: orders }, () => database.place()));
    const paymentIds = orderIds.map(() => randomUUID());
    let statements = 0;
    /** One batch on one transaction, counting its statements (BEGIN, the inbox insert and COMMIT included). */
    const counted = (items: EventBatchItem[]) =>
      inTransaction(pool, async (client) => {
        const query = client.query;
        client.query = ((...args: Parameters<typeof client.query>) => {
          statements++;
          return (query as (...a: unknown[]) => unknown).apply(client, args);
        }) as typeof client.query;
        try {
          return await handler(items, { client, logger: database.logger });
        } finally {
          client.query = query;
        }
      }).finally(() => {
        // BEGIN, the runner's one inbox insert, and COMMIT.
        statements += 3;
      });
    sagaIds.push(...paymentIds);
    await counted(orderIds.map((orderId, index) => reserved(index, orderId)));
    await counted(orderIds.map((orderId, index) => captured(index, orderId, paymentIds[index] ?? '')));
    await counted(orderIds.map((orderId, index) => committed(index, orderId)));
    // Placing an order is one statement each (place-order.test.ts proves it).
    const perOrder = (orders + statements) / orders;
    t.diagnostic(`statements per order: ${perOrder.toFixed(2)} (${orders} placements, ${statements} in 3 batches)`);
    const confirmed = await pool.query(
      `SELECT count(*)::int AS n FROM orders o JOIN order_saga_steps st ON st.order_id = o.id
       WHERE o.id = ANY($1) AND o.status = 'CONFIRMED' AND st.step = 'COMMIT_STOCK' AND st.status = 'SUCCEEDED'`,
      [orderIds],
    );
    assert.equal(confirmed.rows[0].n, orders, 'every order confirmed and its stock committed');
    assert.ok(perOrder <= 5, `${perOrder} statements per order`);
  });
});
