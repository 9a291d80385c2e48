import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchItemError, connect, isAppError } from '@shop/platform';
import { eventually } from '@shop/test-support';
import { putProduct } from '../../src/app/put-product.ts';
import { indexed, orderPlacedItem, type StatementCounter, startBatchHarness } from '../support/batch-harness.ts';
import { newOrderId } from '../support/inventory-harness.ts';
import { metricValue } from '../support/metrics.ts';

/** Statements of one reserveStock batch, whatever its size: lock, decided check, reservations, stock, outbox. */
const RESERVE_BATCH_STATEMENTS = 5;

test('reserveStock as a batch handler', async (t) => {
  const inventory = await startBatchHarness(t);
  const { registry } = inventory;

  await t.test(
    'should decide orders competing for the last units in one batch exactly as one after the other',
    async () => {
      await inventory.stock('LAST', 5);
      const [first, second, third, small] = [newOrderId(), newOrderId(), newOrderId(), newOrderId()];
      const result = await inventory.run(
        inventory.reserve,
        indexed([
          (index) => orderPlacedItem(index, { orderId: first, lines: [{ sku: 'LAST', quantity: 2 }] }),
          (index) => orderPlacedItem(index, { orderId: second, lines: [{ sku: 'LAST', quantity: 2 }] }),
          (index) => orderPlacedItem(index, { orderId: third, lines: [{ sku: 'LAST', quantity: 2 }] }),
          (index) => orderPlacedItem(index, { orderId: small, lines: [{ sku: 'LAST', quantity: 1 }] }),
        ]),
      );
      assert.deepEqual(result?.rejected ?? [], []);
      const events = (await inventory.outbox()).filter((event) =>
        [first, second, third, small].includes(event.orderId),
      );
      assert.deepEqual(
        events.map((event) => [event.orderId, event.type]),
        [
          [first, 'InventoryReserved'],
          [second, 'InventoryReserved'],
          [third, 'InventoryFailed'],
          [small, 'InventoryReserved'],
        ],
        'one event per order, in batch order',
      );
      assert.deepEqual(events[2]?.payload.failures, [
        { sku: 'LAST', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 },
      ]);
      assert.deepEqual(await inventory.stockOf('LAST'), { available: 0, reserved: 5, sold: 0, totalUnits: 5 });
    },
  );

  await t.test('should treat a second OrderPlaced of the same order in one batch as a no-op', async () => {
    await inventory.stock('TWICE', 10);
    const duplicatesBefore = await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' });
    const orderId = newOrderId();
    const items = indexed([
      (index) => orderPlacedItem(index, { orderId, lines: [{ sku: 'TWICE', quantity: 3 }] }),
      (index) => orderPlacedItem(index, { orderId, lines: [{ sku: 'TWICE', quantity: 7 }] }),
    ]);
    await inventory.run(inventory.reserve, items);
    const events = (await inventory.outbox()).filter((event) => event.orderId === orderId);
    assert.equal(events.length, 1, 'one result');
    assert.equal(events[0]?.causationId, items[0]?.meta.eventId, 'the result answers the first event');
    assert.deepEqual(await inventory.stockOf('TWICE'), { available: 7, reserved: 3, sold: 0, totalUnits: 10 });
    assert.equal(
      await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' }),
      duplicatesBefore + 1,
    );
  });

  await t.test(
    'should keep a second OrderPlaced of an order decided earlier a no-op, even when it would now be refused, without taking stock from the orders after it',
    async () => {
      await inventory.stock('EARLIER', 4);
      const decided = newOrderId();
      await inventory.run(inventory.reserve, [
        orderPlacedItem(0, { orderId: decided, lines: [{ sku: 'EARLIER', quantity: 1 }] }),
      ]);
      const next = newOrderId();
      const result = await inventory.run(
        inventory.reserve,
        indexed([
          // Would be refused (a repeated SKU) and would take every unit left, if it were decided again.
          (index) =>
            orderPlacedItem(index, {
              orderId: decided,
              lines: [
                { sku: 'EARLIER', quantity: 3 },
                { sku: 'EARLIER', quantity: 3 },
              ],
            }),
          (index) => orderPlacedItem(index, { orderId: next, lines: [{ sku: 'EARLIER', quantity: 3 }] }),
        ]),
      );
      assert.deepEqual(result?.rejected ?? [], [], 'nothing dead-lettered');
      const events = await inventory.outbox();
      assert.equal(events.filter((event) => event.orderId === decided).length, 1, 'no second result');
      assert.equal(events.find((event) => event.orderId === next)?.type, 'InventoryReserved');
      assert.deepEqual(await inventory.stockOf('EARLIER'), { available: 0, reserved: 4, sold: 0, totalUnits: 4 });
    },
  );

  await t.test(
    'should return a refused order as a rejection with no effect, commit the rest, and decide a later OrderPlaced of that order afresh',
    async () => {
      await inventory.stock('REFUSED', 10);
      const refused = newOrderId();
      const other = newOrderId();
      const items = indexed([
        (index) =>
          orderPlacedItem(index, {
            orderId: refused,
            lines: [
              { sku: 'REFUSED', quantity: 1 },
              { sku: 'REFUSED', quantity: 2 },
            ],
          }),
        (index) => orderPlacedItem(index, { orderId: other, lines: [{ sku: 'REFUSED', quantity: 2 }] }),
        (index) => orderPlacedItem(index, { orderId: refused, lines: [{ sku: 'REFUSED', quantity: 1 }] }),
      ]);
      const result = await inventory.run(inventory.reserve, items);
      assert.equal(result?.rejected?.length, 1);
      const rejection = result?.rejected?.[0];
      assert.equal(rejection?.index, 0);
      assert.ok(isAppError(rejection?.error) && rejection.error.code === 'INV_ORDER_INVALID', String(rejection?.error));
      assert.equal(isAppError(rejection?.error) && rejection.error.retryable, false, 'poison: dead-lettered');
      const events = await inventory.outbox();
      assert.deepEqual(
        events.filter((event) => event.orderId === refused).map((event) => [event.type, event.causationId]),
        [['InventoryReserved', items[2]?.meta.eventId]],
        'the valid OrderPlaced after the refused one is decided',
      );
      assert.deepEqual(await inventory.stockOf('REFUSED'), { available: 7, reserved: 3, sold: 0, totalUnits: 10 });
    },
  );

  await t.test('should reject an event type it does not handle, and handle the rest of the batch', async () => {
    await inventory.stock('MIXED-BATCH', 1);
    const orderId = newOrderId();
    const result = await inventory.run(inventory.reserve, [
      orderPlacedItem(0, { orderId, lines: [{ sku: 'MIXED-BATCH', quantity: 1 }] }),
      {
        ...orderPlacedItem(1, { orderId, lines: [] }),
        event: { type: 'CommitReservation', version: 1, payload: { orderId } },
      },
    ]);
    assert.deepEqual(
      result?.rejected?.map((rejection) => [rejection.index, isAppError(rejection.error) && rejection.error.code]),
      [[1, 'INV_UNEXPECTED_EVENT']],
    );
    assert.equal((await inventory.stockOf('MIXED-BATCH')).reserved, 1);
  });

  await t.test(
    `should use ${RESERVE_BATCH_STATEMENTS} statements for a batch of any size, none of them an advisory lock`,
    async () => {
      for (const size of [1, 20, 100]) {
        const skus = Array.from({ length: 5 }, (_, index) => `COUNT-${size}-${index}`);
        for (const sku of skus) await inventory.stock(sku, 1_000);
        const statements: StatementCounter = { count: 0, texts: [] };
        const items = Array.from({ length: size }, (_, index) =>
          orderPlacedItem(index, {
            orderId: newOrderId(),
            lines: [
              { sku: skus[index % 5] as string, quantity: 1 },
              { sku: skus[(index + 2) % 5] as string, quantity: 2 },
            ],
          }),
        );
        await inventory.run(inventory.reserve, items, { statements });
        assert.equal(
          statements.count,
          RESERVE_BATCH_STATEMENTS,
          `batch of ${size}: ${statements.texts.join('\n---\n')}`,
        );
        assert.ok(
          statements.texts.every((text) => !/advisory/i.test(text)),
          'no advisory lock',
        );
        t.diagnostic(
          `reserveStock batch of ${size}: ${statements.count} handler statements, ${(statements.count / size).toFixed(2)} per order`,
        );
      }
    },
  );

  await t.test(
    'PUT should wait for a batch that holds the product, then set the stock on top of its reservation',
    async () => {
      await inventory.stock('PUT-RACE', 10);
      const orderId = newOrderId();
      const batch = await connect(inventory.pool);
      let put: Promise<Awaited<ReturnType<typeof putProduct>>> | undefined;
      try {
        await batch.query('BEGIN');
        await inventory.reserve([orderPlacedItem(0, { orderId, lines: [{ sku: 'PUT-RACE', quantity: 4 }] })], {
          client: batch,
          logger: inventory.logger,
        });
        put = putProduct(inventory.pool, 'PUT-RACE', { available: 20 });
        await eventually(
          async () => {
            const waiting = await inventory.pool.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            return (waiting.rowCount ?? 0) > 0 ? true : undefined;
          },
          5_000,
          'the PUT waiting for the batch',
        );
        await batch.query('COMMIT');
      } finally {
        batch.release();
      }
      const { product } = await put;
      assert.deepEqual(
        {
          available: product.available,
          reserved: product.reserved,
          sold: product.sold,
          totalUnits: product.totalUnits,
        },
        { available: 20, reserved: 4, sold: 0, totalUnits: 24 },
        'the reservation kept, the new available units added to the stock',
      );
    },
  );

  await t.test(
    'should name the order recorded by a concurrent transaction during the batch, and keep nothing of the batch',
    async () => {
      await inventory.stock('RACE', 10);
      const before = await inventory.stockOf('RACE');
      const [first, contested, last] = [newOrderId(), newOrderId(), newOrderId()];
      // Another transaction records the contested order (as a release of a never-reserved order does) and
      // stays open while the batch runs: the batch's read does not see it, its insert waits for it.
      const other = await connect(inventory.pool);
      let error: unknown;
      try {
        await other.query('BEGIN');
        await other.query(
          `INSERT INTO reservations (order_id, status, created_by_event_id, released_at)
           VALUES ($1, 'RELEASED', gen_random_uuid(), now())`,
          [contested],
        );
        const settled = inventory
          .run(
            inventory.reserve,
            indexed([
              (index) => orderPlacedItem(index, { orderId: first, lines: [{ sku: 'RACE', quantity: 1 }] }),
              (index) => orderPlacedItem(index, { orderId: contested, lines: [{ sku: 'RACE', quantity: 1 }] }),
              (index) => orderPlacedItem(index, { orderId: last, lines: [{ sku: 'RACE', quantity: 1 }] }),
            ]),
          )
          .then(
            () => undefined,
            (failure: unknown) => failure,
          );
        await eventually(
          async () => {
            const waiting = await inventory.pool.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            return (waiting.rowCount ?? 0) > 0 ? true : undefined;
          },
          5_000,
          'the batch waiting for the other transaction',
        );
        await other.query('COMMIT');
        error = await settled;
      } finally {
        other.release();
      }
      assert.ok(error instanceof BatchItemError, `a BatchItemError, got ${String(error)}`);
      assert.equal(error.index, 1, 'the contested order');
      assert.ok(isAppError(error.cause) && error.cause.code === 'INV_CONCURRENT_DECISION');
      assert.equal(isAppError(error.cause) && error.cause.retryable, true);
      assert.deepEqual(await inventory.stockOf('RACE'), before, 'nothing of the batch was kept');
      const events = await inventory.outbox();
      assert.equal(events.filter((event) => [first, contested, last].includes(event.orderId)).length, 0);

      // Run again as the runner does after a BatchItemError: the contested order alone is a no-op.
      await inventory.run(inventory.reserve, [
        orderPlacedItem(0, { orderId: contested, lines: [{ sku: 'RACE', quantity: 1 }] }),
      ]);
      assert.deepEqual(await inventory.stockOf('RACE'), before);
    },
  );
});
