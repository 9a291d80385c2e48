/**
 * Invariant suite: reserve and settle batches of varying sizes in concurrent transactions, over overlapping
 * SKU sets listed in different orders, with restocks over HTTP's code path and releases racing their orders,
 * never deadlock and never oversell. The handlers run on real transactions of a real database; a batch that
 * names one item (BatchItemError) is split as the runner splits it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchItemError, type EventBatchHandler, type EventBatchItem, isAppError, type Pool } from '@shop/platform';
import { putProduct } from '../../src/app/put-product.ts';
import { type BatchHarness, commandItem, orderPlacedItem, startBatchHarness } from '../support/batch-harness.ts';
import { newOrderId, type StockRow } from '../support/inventory-harness.ts';

const ORDERS = 200;
/** Of which: one line of HOT each, competing for its few units (no command or restock touches HOT). */
const HOT_ORDERS = 40;
const HOT_UNITS = 10;
const SKUS = ['C-0', 'C-1', 'C-2', 'C-3', 'C-4', 'C-5', 'C-6', 'C-7'];
const SKU_UNITS = 40;
/** Orders placed twice (a second OrderPlaced event, in another batch). */
const PLACED_TWICE = 20;
/** Orders released while (or before) their OrderPlaced is handled. */
const RELEASED_EARLY = 10;
const BATCH_SIZES = [1, 7, 20, 3, 40, 12, 2, 25];
/** Transactions running reserve batches at once. */
const RESERVE_WORKERS = 6;
const RESTOCKS = 20;

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

test('stock batches under concurrency', async (t) => {
  const inventory = await startBatchHarness(t);
  const next = random(20_261_201);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const shuffle = <T>(values: readonly T[]): T[] =>
    values
      .map((value) => ({ value, key: next() }))
      .sort((a, b) => a.key - b.key)
      .map((entry) => entry.value);

  await inventory.stock('HOT', HOT_UNITS);
  for (const sku of SKUS) await inventory.stock(sku, SKU_UNITS);

  await t.test(
    'should never deadlock, never oversell, and decide every order once, with restocks and early releases racing the batches',
    async (st) => {
      const pool = inventory.extraPool(st, RESERVE_WORKERS + 3);
      const deadlocksBefore = await databaseDeadlocks(inventory.pool);
      const orders = Array.from({ length: ORDERS }, (_, index) => {
        const orderId = newOrderId();
        if (index < HOT_ORDERS) return { orderId, lines: [{ sku: 'HOT', quantity: 1 }] };
        // 1 to 4 distinct SKUs, in a random order (so batches lock overlapping sets listed differently).
        const skus = shuffle(SKUS).slice(0, 1 + Math.floor(next() * 4));
        return { orderId, lines: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(next() * 3) })) };
      });
      const placements = shuffle([
        ...orders,
        ...orders.slice(HOT_ORDERS, HOT_ORDERS + PLACED_TWICE).map((order) => ({
          orderId: order.orderId,
          lines: [{ sku: pick(SKUS), quantity: 1 }],
        })),
      ]);
      const batches: EventBatchItem[][] = [];
      for (let start = 0, turn = 0; start < placements.length; turn++) {
        const size = BATCH_SIZES[turn % BATCH_SIZES.length] ?? 1;
        batches.push(placements.slice(start, start + size).map((payload, index) => orderPlacedItem(index, payload)));
        start += size;
      }

      const failures: unknown[] = [];
      const run = (handler: EventBatchHandler, items: EventBatchItem[]) =>
        runLikeTheRunner(inventory, pool, handler, items).catch((error: unknown) => {
          failures.push(error);
        });

      let reserving = true;
      const reserveWorkers = Array.from({ length: RESERVE_WORKERS }, async () => {
        for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
          await run(inventory.reserve, batch);
        }
      });
      const earlyReleases = orders.slice(ORDERS - RELEASED_EARLY).map((order) => order.orderId);
      const settleWorker = (async () => {
        await run(
          inventory.settle,
          earlyReleases.map((orderId, index) => commandItem(index, 'ReleaseReservation', orderId)),
        );
        // Commits and releases of what is reserved so far, while the reserve batches run.
        while (reserving) {
          const held = await pool.query<{ order_id: string }>(
            `SELECT order_id FROM reservations r WHERE status = 'RESERVED'
               AND NOT EXISTS (SELECT 1 FROM reservation_lines l WHERE l.order_id = r.order_id AND l.sku = 'HOT')
             ORDER BY random() LIMIT 30`,
          );
          const commands = held.rows.flatMap(({ order_id: orderId }) => {
            const roll = next();
            if (roll < 0.5) return [{ type: 'CommitReservation' as const, orderId }];
            if (roll < 0.8) return [{ type: 'ReleaseReservation' as const, orderId }];
            return [
              { type: 'CommitReservation' as const, orderId },
              { type: 'ReleaseReservation' as const, orderId },
            ];
          });
          if (commands.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          await run(
            inventory.settle,
            commands.map((command, index) => commandItem(index, command.type, command.orderId)),
          );
        }
      })();
      const restocks = (async () => {
        for (let restock = 0; restock < RESTOCKS; restock++) {
          await putProduct(pool, pick(SKUS), { available: Math.floor(next() * SKU_UNITS) }).catch((error: unknown) => {
            failures.push(error);
          });
        }
      })();
      // What the transactions wait for while the batches run: row locks between batches sharing SKUs, never
      // an advisory lock (there is none on this path).
      const waits = new Map<string, number>();
      const sampler = (async () => {
        while (reserving) {
          const sample = await inventory.pool.query<{ wait: string }>(
            `SELECT wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          for (const { wait } of sample.rows) waits.set(wait, (waits.get(wait) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all([...reserveWorkers, restocks]);
      reserving = false;
      await Promise.all([settleWorker, sampler]);
      st.diagnostic(`lock wait samples: ${JSON.stringify(Object.fromEntries(waits))}`);
      assert.equal(waits.get('Lock:advisory') ?? 0, 0, 'no transaction waited for an advisory lock');

      st.diagnostic(`${splits} batch(es) split after a lost race`);
      assert.deepEqual(failures.map(String), [], 'every batch and restock succeeded: no deadlock, no other error');
      assert.equal(await databaseDeadlocks(inventory.pool), deadlocksBefore, 'PostgreSQL detected no deadlock');

      // Every order decided once: one reservation row, and one result unless a release recorded it first.
      const reservations = await inventory.pool.query<{
        order_id: string;
        status: string;
        created_by_event_id: string;
      }>('SELECT order_id::text, status, created_by_event_id::text FROM reservations');
      const byOrder = new Map(reservations.rows.map((row) => [row.order_id, row]));
      const results = (await inventory.outbox()).filter(
        (event) => event.type === 'InventoryReserved' || event.type === 'InventoryFailed',
      );
      const resultsByOrder = new Map<string, string[]>();
      for (const event of results)
        resultsByOrder.set(event.orderId, [...(resultsByOrder.get(event.orderId) ?? []), event.type]);
      for (const { orderId } of orders) {
        const reservation = byOrder.get(orderId);
        assert.ok(reservation !== undefined, `order ${orderId} has a reservation`);
        const outcomes = resultsByOrder.get(orderId) ?? [];
        if (earlyReleases.includes(orderId) && reservation.status === 'RELEASED' && outcomes.length === 0) continue;
        assert.equal(outcomes.length, 1, `order ${orderId}: one result, got ${outcomes.join(', ')}`);
      }
      assert.equal(reservations.rowCount, ORDERS, 'no reservation for anything but the orders');

      // Never oversold: each bucket holds exactly the units of the reservations in it, none is negative, and
      // available + reserved + sold is the stock put in.
      const held = await inventory.pool.query<{ sku: string; reserved: string; sold: string }>(
        `SELECT l.sku, COALESCE(sum(l.quantity) FILTER (WHERE r.status = 'RESERVED'), 0)::text AS reserved,
                COALESCE(sum(l.quantity) FILTER (WHERE r.status = 'COMMITTED'), 0)::text AS sold
         FROM reservation_lines l JOIN reservations r USING (order_id)
         WHERE r.status IN ('RESERVED', 'COMMITTED') GROUP BY l.sku`,
      );
      const heldBySku = new Map(held.rows.map((row) => [row.sku, row]));
      for (const sku of ['HOT', ...SKUS]) {
        const stock: StockRow = await inventory.stockOf(sku);
        assert.ok(stock.available >= 0 && stock.reserved >= 0 && stock.sold >= 0, `${sku}: ${JSON.stringify(stock)}`);
        assert.equal(stock.available + stock.reserved + stock.sold, stock.totalUnits, `${sku}: stock conserved`);
        assert.equal(stock.reserved, Number(heldBySku.get(sku)?.reserved ?? 0), `${sku}: reserved = reserved lines`);
        assert.equal(stock.sold, Number(heldBySku.get(sku)?.sold ?? 0), `${sku}: sold = committed lines`);
      }
      assert.deepEqual(await inventory.stockOf('HOT'), {
        available: 0,
        reserved: HOT_UNITS,
        sold: 0,
        totalUnits: HOT_UNITS,
      });
      const hotReserved = orders
        .slice(0, HOT_ORDERS)
        .filter(({ orderId }) => resultsByOrder.get(orderId)?.[0] === 'InventoryReserved');
      assert.equal(hotReserved.length, HOT_UNITS, 'exactly the hot units were reserved');
    },
  );
});

/** Items named by a BatchItemError of an alone run that lost a race again (each rerun sees more). */
const ALONE_ATTEMPTS = 3;
/** Batches split after a lost race, over the whole suite (reported, not asserted: races are timing). */
let splits = 0;

/**
 * Runs a batch as the consumer runner does: on BatchItemError, the items before it as one batch, the item
 * alone, the items after it as another batch; any other error fails the test.
 */
async function runLikeTheRunner(
  inventory: BatchHarness,
  pool: Pool,
  handler: EventBatchHandler,
  items: EventBatchItem[],
  attempt = 1,
): Promise<void> {
  try {
    const result = await inventory.run(handler, items, { pool });
    for (const rejection of result?.rejected ?? []) throw rejection.error;
  } catch (error) {
    if (!(error instanceof BatchItemError) || !isAppError(error.cause) || !error.cause.retryable) throw error;
    splits += 1;
    const position = items.findIndex((item) => item.index === error.index);
    const item = items[position];
    if (item === undefined) throw error;
    if (items.length === 1) {
      if (attempt >= ALONE_ATTEMPTS) throw error;
      return runLikeTheRunner(inventory, pool, handler, items, attempt + 1);
    }
    if (position > 0) await runLikeTheRunner(inventory, pool, handler, items.slice(0, position));
    await runLikeTheRunner(inventory, pool, handler, [item]);
    if (position < items.length - 1) await runLikeTheRunner(inventory, pool, handler, items.slice(position + 1));
  }
}

/** Deadlocks PostgreSQL detected in the database (statistics are flushed within a second). */
async function databaseDeadlocks(pool: Pool): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const result = await pool.query<{ deadlocks: string }>(
    'SELECT pg_stat_clear_snapshot(), deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(result.rows[0]?.deadlocks ?? 0);
}
