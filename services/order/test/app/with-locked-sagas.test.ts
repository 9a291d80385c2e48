/**
 * One clock for deadlines: every saga deadline is computed on the database's clock (the placement
 * statement's `now()`, and the clock read under the saga's lock) and compared with it (the deadline scanner's
 * find, the decision's re-check). The application's clock is skewed here by an hour (the test process's
 * `Date` is mocked): deadlines computed from it were written an hour off and judged by SQL's `now()`, so a
 * step was overdue for the scanner but not for the decision, and was found and ignored on every tick.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { inTransaction } from '@shop/platform';
import { applyOverdueSteps } from '../../src/app/apply-overdue-steps.ts';
import { sagaRepository } from '../../src/db/saga-repository.ts';
import { createOrderSagaHandler } from '../../src/events/order-saga-consumer.ts';
import { batchItem, createOrderDatabase, type OrderDatabase } from '../support/order-database.ts';

const HOUR_MS = 3_600_000;
const PRICE = { amountMinor: 1_000, currency: 'EUR' };
const LINES = [
  { sku: 'MUG-RED', quantity: 2, unitPrice: PRICE },
  { sku: 'TEE-M-BLK', quantity: 1, unitPrice: PRICE },
];
const TOTAL = { amountMinor: 3_000, currency: 'EUR' };

/** Each open attempt's deadline minus its start, in ms (both written by the database). */
async function openDeadlines(database: OrderDatabase, orderId: string): Promise<Record<string, number>> {
  const { rows } = await database.pool.query<{ step: string; ms: number }>(
    `SELECT step, (EXTRACT(EPOCH FROM deadline_at - started_at) * 1000)::float8 AS ms FROM order_saga_steps
     WHERE order_id = $1 AND status = 'STARTED'`,
    [orderId],
  );
  return Object.fromEntries(rows.map((row) => [row.step, row.ms]));
}

for (const skewMs of [-HOUR_MS, HOUR_MS]) {
  const skew = skewMs < 0 ? 'an hour behind' : 'an hour ahead of';
  test(`saga deadlines should be written and judged on the database's clock with the application's clock ${skew} it`, async (t) => {
    const database = await createOrderDatabase(t, 'order_clock');
    const { pool, logger, saga } = database;
    const { stepTimeoutMs, reservationTimeoutMs, chargeExpiryMs } = saga.settings;
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + skewMs });

    const orderId = await database.place();
    assert.deepEqual(await openDeadlines(database, orderId), { RESERVE_STOCK: reservationTimeoutMs });

    const handler = createOrderSagaHandler(saga);
    await inTransaction(pool, (client) =>
      handler([batchItem(0, 'InventoryReserved', 'inventory-service', { orderId, lines: LINES, total: TOTAL })], {
        client,
        logger,
      }),
    );
    // Decided on the clock read under the lock, a moment after the transaction (and the step) started.
    const charge = (await openDeadlines(database, orderId)).CHARGE_PAYMENT ?? Number.NaN;
    assert.ok(Math.abs(charge - stepTimeoutMs) < 1_000, `the charge is due ${charge} ms after it started`);
    const expiry = await pool.query<{ ms: number }>(
      `SELECT (EXTRACT(EPOCH FROM s.charge_expires_at - st.started_at) * 1000)::float8 AS ms
       FROM order_sagas s JOIN order_saga_steps st ON st.order_id = s.order_id AND st.step = 'CHARGE_PAYMENT'
       WHERE s.order_id = $1`,
      [orderId],
    );
    const expiresAfter = expiry.rows[0]?.ms ?? Number.NaN;
    assert.ok(
      Math.abs(expiresAfter - chargeExpiryMs) < 1_000,
      `the charge expires ${expiresAfter} ms after it started`,
    );
    assert.deepEqual(await sagaRepository.findOverdueSteps(pool, 10), [], 'nothing is due yet');

    // Due by the database's clock: the scanner finds it, and the decision under the lock agrees.
    await pool.query(
      `UPDATE order_saga_steps SET deadline_at = now() - interval '1 second' WHERE order_id = $1 AND status = 'STARTED'`,
      [orderId],
    );
    assert.equal(await applyOverdueSteps(saga), 1, 'the overdue charge is re-sent');
    const { rows } = await pool.query<{ attempt: number; status: string }>(
      `SELECT attempt, status FROM order_saga_steps WHERE order_id = $1 AND step = 'CHARGE_PAYMENT' ORDER BY attempt`,
      [orderId],
    );
    assert.deepEqual(
      rows.map((row) => [row.attempt, row.status]),
      [
        [1, 'TIMED_OUT'],
        [2, 'STARTED'],
      ],
    );
    assert.deepEqual(await sagaRepository.findOverdueSteps(pool, 10), [], 'the new attempt is not due');
  });
}

test('an input for an order that does not exist should change nothing and be reported as unknown', async (t) => {
  const database = await createOrderDatabase(t, 'order_unknown');
  const handler = createOrderSagaHandler(database.saga);
  const orderId = randomUUID();
  const result = await inTransaction(database.pool, (client) =>
    handler([batchItem(0, 'ReservationCommitted', 'inventory-service', { orderId })], {
      client,
      logger: database.logger,
    }),
  );
  assert.equal(result?.rejected?.length, 1);
  assert.equal((result?.rejected?.[0]?.error as { code?: string } | undefined)?.code, 'ORD_UNKNOWN_ORDER');
});
