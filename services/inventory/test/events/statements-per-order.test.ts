/**
 * Measurement, through the real service, broker and database: every statement the Inventory Service sends to
 * its database (consumers, inbox, outbox relay, metrics) while orders are reserved and committed, per order.
 * Reported as a diagnostic; the assertion only guards against a return to per-statement-per-line work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topic } from '@shop/contracts';
import type { PoolClient } from '@shop/platform';
import { newOrderId, startInventory } from '../support/inventory-harness.ts';

const ORDERS = 200;
/** Orders sent at once, then answered, before the next wave. */
const WAVE = 20;
const SKUS = ['STMT-A', 'STMT-B', 'STMT-C', 'STMT-D'];
/**
 * Upper bound on inventory statements per order, reserve and commit together, with their transactions,
 * inbox rows, outbox inserts and the relay's reads and deletes. Per batch: BEGIN, inbox, the handler's
 * (at most five), COMMIT; at batches of about WAVE that is well under one per order and per consumer.
 */
const MAX_STATEMENTS_PER_ORDER = 3;

test('inventory statements per order, reserve and commit through the running service', async (t) => {
  const inventory = await startInventory(t);
  for (const sku of SKUS) await inventory.stock(sku, 10_000);
  const pool = inventory.service.context.pool;
  let counting = false;
  let statements = 0;
  const wrapped = new WeakSet<PoolClient>();
  pool.on('acquire', (client: PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      if (counting) statements += 1;
      return query(...args);
    };
  });

  const partitions = topic('orderPlaced').partitions;
  const orderIds = Array.from({ length: ORDERS }, () => newOrderId());
  counting = true;
  const started = Date.now();
  // In waves, so the consumers see batches of about a wave (all orders at once would make one batch).
  for (let wave = 0; wave < ORDERS; wave += WAVE) {
    const ids = orderIds.slice(wave, wave + WAVE);
    await inventory.send(
      ids.map((orderId, index) =>
        inventory.orderPlaced({
          orderId,
          lines: [
            { sku: SKUS[index % SKUS.length] as string, quantity: 1 },
            { sku: SKUS[(index + 1) % SKUS.length] as string, quantity: 1 },
          ],
        }),
      ),
      (index) => index % partitions,
    );
    for (const orderId of ids) await inventory.waitForResults(orderId, 1);
    await inventory.send(ids.map((orderId) => inventory.command('CommitReservation', orderId)));
    for (const orderId of ids) await inventory.waitForResults(orderId, 2);
  }
  await inventory.outboxDrained();
  counting = false;

  const perOrder = statements / ORDERS;
  const deadlocks = await pool.query<{ deadlocks: string }>(
    'SELECT pg_stat_clear_snapshot(), deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
  );
  t.diagnostic(`deadlocks: ${deadlocks.rows[0]?.deadlocks}`);
  t.diagnostic(
    `${statements} statements for ${ORDERS} orders reserved and committed in waves of ${WAVE} in ${Date.now() - started} ms: ${perOrder.toFixed(2)} per order`,
  );
  assert.ok(perOrder <= MAX_STATEMENTS_PER_ORDER, `${perOrder.toFixed(2)} statements per order`);
});
