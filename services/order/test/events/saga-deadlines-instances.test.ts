/**
 * Every Order Service instance runs the deadline scanner. Several scanners finding the same overdue
 * attempts at once must act on each deadline once: each attempt is re-checked under its saga's row lock,
 * so the scanner that locks second finds the attempt already re-sent (its new deadline in the future) and
 * leaves it alone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { inTransaction } from '@shop/platform';
import { createOrderSagaHandler } from '../../src/events/order-saga-consumer.ts';
import { SagaDeadlineScanner } from '../../src/events/saga-deadline-scanner.ts';
import { batchItem, createOrderDatabase } from '../support/order-database.ts';

const PRICE = { amountMinor: 1_000, currency: 'EUR' };
/** The lines of the harness's default order, priced: the reservation must match what was ordered. */
const LINES = [
  { sku: 'MUG-RED', quantity: 2, unitPrice: PRICE },
  { sku: 'TEE-M-BLK', quantity: 1, unitPrice: PRICE },
];
const TOTAL = { amountMinor: 3_000, currency: 'EUR' };
const SAGAS = 5;
const SCANNERS = 3;
const DEADLINES = 3;

test('scanners of several instances should re-send a step once per deadline, never once per scanner', async (t) => {
  const database = await createOrderDatabase(t, 'order_deadlines_instances');
  const { pool, logger } = database;
  const handler = createOrderSagaHandler({ ...database.saga, newId: randomUUID });
  const orders = await Promise.all(Array.from({ length: SAGAS }, () => database.place()));
  await inTransaction(pool, (client) =>
    handler(
      orders.map((orderId, index) =>
        batchItem(index, 'InventoryReserved', 'inventory-service', { orderId, lines: LINES, total: TOTAL }),
      ),
      { client, logger },
    ),
  );
  const scanners = Array.from(
    { length: SCANNERS },
    () => new SagaDeadlineScanner({ ...database.saga, pool, logger, intervalMs: 60_000 }),
  );

  for (let deadline = 1; deadline <= DEADLINES; deadline++) {
    await pool.query(`UPDATE order_saga_steps SET deadline_at = now() - interval '1 second' WHERE status = 'STARTED'`);
    const acted = await Promise.all(scanners.map((scanner) => scanner.scanOnce()));
    assert.equal(
      acted.reduce((a, b) => a + b, 0),
      SAGAS,
      `deadline ${deadline}: one action per saga in all, split ${acted}`,
    );
  }

  // One attempt per command sent: the first charge and one re-send per deadline, each its own command event.
  const { rows } = await pool.query<{ order_id: string; attempts: number; open: number; commands: number }>(
    `SELECT order_id, count(*)::int AS attempts, count(*) FILTER (WHERE status = 'STARTED')::int AS open,
            count(DISTINCT request_event_id)::int AS commands
     FROM order_saga_steps WHERE order_id = ANY($1) AND step = 'CHARGE_PAYMENT' GROUP BY order_id`,
    [orders],
  );
  assert.equal(rows.length, SAGAS);
  for (const row of rows) {
    assert.deepEqual(
      [row.attempts, row.open, row.commands],
      [DEADLINES + 1, 1, DEADLINES + 1],
      `order ${row.order_id}`,
    );
  }
});
