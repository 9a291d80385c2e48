/**
 * The deadline use case in sets, on a real database: one statement finds the overdue attempts, one
 * transaction locks their sagas and applies every decision, folding two overdue steps of one saga.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { inTransaction, type PoolClient } from '@shop/platform';
import { applyOverdueSteps } from '../../src/app/apply-overdue-steps.ts';
import { cancelOrder } from '../../src/app/cancel-order.ts';
import { createOrderSagaHandler } from '../../src/events/order-saga-consumer.ts';
import { batchItem, createOrderDatabase } from '../support/order-database.ts';

const PRICE = { amountMinor: 1_000, currency: 'EUR' };
const LINES = [
  { sku: 'MUG-RED', quantity: 2, unitPrice: PRICE },
  { sku: 'TEE-M-BLK', quantity: 1, unitPrice: PRICE },
];
const TOTAL = { amountMinor: 3_000, currency: 'EUR' };

test('the deadline use case should apply every overdue attempt of a scan in one transaction', async (t) => {
  const database = await createOrderDatabase(t, 'order_deadlines');
  const { pool, logger } = database;
  const ids: string[] = [];
  const handler = createOrderSagaHandler({ ...database.saga, newId: () => ids.shift() ?? randomUUID() });

  // Five sagas CHARGING (their charge open), and one CANCELLING with a refund and a release open.
  const charging = await Promise.all(Array.from({ length: 5 }, () => database.place()));
  const cancelling = await database.place();
  const paymentId = randomUUID();
  ids.push(...charging.map(() => randomUUID()), paymentId);
  await inTransaction(pool, (client) =>
    handler(
      [...charging, cancelling].map((orderId, index) =>
        batchItem(index, 'InventoryReserved', 'inventory-service', { orderId, lines: LINES, total: TOTAL }),
      ),
      { client, logger },
    ),
  );
  await inTransaction(pool, (client) =>
    handler([batchItem(0, 'PaymentCaptured', 'payment-service', { orderId: cancelling, paymentId, amount: TOTAL })], {
      client,
      logger,
    }),
  );
  await cancelOrder(database.saga, cancelling);
  // Everything open is overdue now.
  await pool.query(`UPDATE order_saga_steps SET deadline_at = now() - interval '1 second' WHERE status = 'STARTED'`);

  let statements = 0;
  const wrapped = new WeakSet<PoolClient>();
  const count = (client: PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query;
    client.query = ((...args: unknown[]) => {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(client, args);
    }) as typeof client.query;
  };
  pool.on('acquire', count);
  t.after(() => pool.off('acquire', count));
  // pool.query (the find) checks a client out too, so every statement of the scan is counted.
  const acted = await applyOverdueSteps(database.saga);
  assert.equal(acted, 5 + 2, 'five charges, and the refund and the release of the cancelled saga');
  // The find, then BEGIN, the lock, the open steps, the writes (outbox rows included), COMMIT.
  assert.equal(statements, 6);

  const { rows } = await pool.query<{ order_id: string; step: string; attempt: number; status: string }>(
    `SELECT order_id, step, attempt, status FROM order_saga_steps
     WHERE order_id = ANY($1) AND step <> 'RESERVE_STOCK' ORDER BY order_id, step, attempt`,
    [[...charging, cancelling]],
  );
  for (const orderId of charging) {
    assert.deepEqual(
      rows.filter((row) => row.order_id === orderId).map((row) => [row.step, row.attempt, row.status]),
      [
        ['CHARGE_PAYMENT', 1, 'TIMED_OUT'],
        ['CHARGE_PAYMENT', 2, 'STARTED'],
      ],
    );
  }
  assert.deepEqual(
    rows.filter((row) => row.order_id === cancelling).map((row) => [row.step, row.attempt, row.status]),
    [
      ['CHARGE_PAYMENT', 1, 'SUCCEEDED'],
      ['COMMIT_STOCK', 1, 'ABANDONED'],
      ['REFUND_PAYMENT', 1, 'TIMED_OUT'],
      ['REFUND_PAYMENT', 2, 'STARTED'],
      ['RELEASE_STOCK', 1, 'TIMED_OUT'],
      ['RELEASE_STOCK', 2, 'STARTED'],
    ],
  );
  assert.equal(await applyOverdueSteps(database.saga), 0, 'nothing is overdue any more');
});
