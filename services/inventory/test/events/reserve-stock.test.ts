import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_HEADERS } from '@shop/contracts';
import { eventually } from '@shop/test-support';
import { newOrderId, REACTION_TIMEOUT_MS, readDeadLetters, startInventory } from '../support/inventory-harness.ts';
import { metricValue } from '../support/metrics.ts';

/**
 * After the records that must have no effect, a sentinel order sent to the same partition is handled
 * after them (per-partition order); once its result is out and the outbox is empty, anything the
 * earlier records had published would be on the topic. This grace covers the reader's fetch interval.
 */
const READER_GRACE_MS = 1_000;
const SAME_PARTITION = 0;

test('reserveStock', async (t) => {
  const inventory = await startInventory(t);
  const registry = inventory.service.context.registry;
  await inventory.stock('MUG-RED', 100, 1250);
  await inventory.stock('TEE-M-BLK', 50, 1999);
  await inventory.stock('POSTER-LTD', 5, 2500);
  // Only sentinels order it, so they never disturb the stock a test asserts on.
  await inventory.stock('SENTINEL', 10_000, 100);

  async function sentinelPassed(): Promise<void> {
    const sentinel = newOrderId();
    await inventory.send(
      [inventory.orderPlaced({ orderId: sentinel, lines: [{ sku: 'SENTINEL', quantity: 1 }] })],
      () => SAME_PARTITION,
    );
    await inventory.waitForResults(sentinel);
    await inventory.outboxDrained();
    await new Promise((resolve) => setTimeout(resolve, READER_GRACE_MS));
  }

  await t.test('should reserve every line, quote unit prices and the total, and move stock to reserved', async () => {
    const mugBefore = await inventory.stockOf('MUG-RED');
    const teeBefore = await inventory.stockOf('TEE-M-BLK');
    const orderId = newOrderId();
    await inventory.send([
      inventory.orderPlaced({
        orderId,
        lines: [
          { sku: 'MUG-RED', quantity: 2 },
          { sku: 'TEE-M-BLK', quantity: 1 },
        ],
      }),
    ]);
    const [result] = await inventory.waitForResults(orderId);
    assert.equal(result?.type, 'InventoryReserved');
    assert.deepEqual(result?.payload, {
      orderId,
      lines: [
        { sku: 'MUG-RED', quantity: 2, unitPrice: { amountMinor: 1250, currency: 'EUR' } },
        { sku: 'TEE-M-BLK', quantity: 1, unitPrice: { amountMinor: 1999, currency: 'EUR' } },
      ],
      total: { amountMinor: 4499, currency: 'EUR' },
    });
    assert.equal(result?.meta.producer, 'inventory-service');
    assert.equal(result?.meta.correlationId, orderId, 'the result continues the order flow');

    assert.deepEqual(await inventory.stockOf('MUG-RED'), {
      ...mugBefore,
      available: mugBefore.available - 2,
      reserved: mugBefore.reserved + 2,
    });
    assert.deepEqual(await inventory.stockOf('TEE-M-BLK'), {
      ...teeBefore,
      available: teeBefore.available - 1,
      reserved: teeBefore.reserved + 1,
    });

    const reservation = await inventory.get(`/reservations/${orderId}`);
    assert.equal(reservation.status, 200);
    const body = (await reservation.json()) as Record<string, unknown>;
    assert.equal(body.status, 'RESERVED');
    assert.deepEqual(body.total, { amountMinor: 4499, currency: 'EUR' });
  });

  await t.test('should fail with a reason per line and reserve nothing when one line is unknown or short', async () => {
    const mugBefore = await inventory.stockOf('MUG-RED');
    const posterBefore = await inventory.stockOf('POSTER-LTD');
    const orderId = newOrderId();
    await inventory.send([
      inventory.orderPlaced({
        orderId,
        lines: [
          { sku: 'MUG-RED', quantity: 1 },
          { sku: 'MUG-GOLD', quantity: 3 },
          { sku: 'POSTER-LTD', quantity: 6 },
        ],
      }),
    ]);
    const [result] = await inventory.waitForResults(orderId);
    assert.equal(result?.type, 'InventoryFailed');
    assert.deepEqual(result?.payload, {
      orderId,
      failures: [
        { sku: 'MUG-GOLD', reason: 'UNKNOWN_SKU', requested: 3 },
        { sku: 'POSTER-LTD', reason: 'INSUFFICIENT_STOCK', requested: 6, available: 5 },
      ],
    });
    assert.deepEqual(await inventory.stockOf('MUG-RED'), mugBefore, 'the available line reserved nothing');
    assert.deepEqual(await inventory.stockOf('POSTER-LTD'), posterBefore);

    const reservation = (await (await inventory.get(`/reservations/${orderId}`)).json()) as {
      status: string;
      lines: unknown[];
    };
    assert.equal(reservation.status, 'FAILED');
    assert.deepEqual(reservation.lines, [
      { sku: 'MUG-RED', quantity: 1 },
      { sku: 'MUG-GOLD', quantity: 3, failure: { reason: 'UNKNOWN_SKU' } },
      { sku: 'POSTER-LTD', quantity: 6, failure: { reason: 'INSUFFICIENT_STOCK', available: 5 } },
    ]);
  });

  await t.test('should not double-reserve when the same OrderPlaced event is delivered twice', async () => {
    const before = await inventory.stockOf('TEE-M-BLK');
    const skippedBefore = await metricValue(registry, 'consumer_records_total', { outcome: 'duplicate' });
    const orderId = newOrderId();
    const placed = inventory.orderPlaced({ orderId, lines: [{ sku: 'TEE-M-BLK', quantity: 3 }] });
    await inventory.send([placed, placed], () => SAME_PARTITION);
    await sentinelPassed();

    assert.equal(inventory.resultsFor(orderId).length, 1, 'one result');
    assert.equal(inventory.resultsFor(orderId)[0]?.type, 'InventoryReserved');
    assert.equal(await inventory.reservationCount(orderId), 1);
    assert.deepEqual(await inventory.stockOf('TEE-M-BLK'), {
      ...before,
      available: before.available - 3,
      reserved: before.reserved + 3,
    });
    assert.ok(
      (await metricValue(registry, 'consumer_records_total', { outcome: 'duplicate' })) > skippedBefore,
      'the redelivery reached the consumer and was skipped by the inbox',
    );
  });

  await t.test(
    'should change nothing and publish nothing for a second OrderPlaced event of the same order',
    async () => {
      const before = await inventory.stockOf('MUG-RED');
      const duplicatesBefore = await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' });
      const orderId = newOrderId();
      const first = inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity: 4 }] });
      // A different event (new event id) for the same order, with different lines: the inbox cannot
      // recognise it; the reservation's key must.
      const second = inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity: 7 }] });
      assert.notEqual(first.meta.eventId, second.meta.eventId);
      await inventory.send([first, second], () => SAME_PARTITION);
      await sentinelPassed();

      const results = inventory.resultsFor(orderId);
      assert.equal(results.length, 1, 'one result');
      assert.equal(results[0]?.meta.causationId, first.meta.eventId, 'the result answers the first event');
      assert.equal(await inventory.reservationCount(orderId), 1);
      assert.deepEqual(await inventory.stockOf('MUG-RED'), {
        ...before,
        available: before.available - 4,
        reserved: before.reserved + 4,
      });
      assert.equal(
        await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' }),
        duplicatesBefore + 1,
        'the second event reached the handler and was recognised by the order id',
      );
    },
  );
  await t.test(
    'should dead-letter an order whose products are priced in several currencies, moving nothing',
    async () => {
      const deadLetters = await readDeadLetters(t, inventory, 'reserveStock');
      // The API keeps the catalog in one currency; only a direct write can bring a second one in.
      await inventory.service.context.pool.query(
        `INSERT INTO products (sku, name, unit_price_minor, currency, available, reserved, sold, total_units)
       VALUES ('IMPORTED-USD', 'Imported', 500, 'USD', 10, 0, 0, 10)`,
      );
      const before = await inventory.stockOf('MUG-RED');
      const orderId = newOrderId();
      await inventory.send([
        inventory.orderPlaced({
          orderId,
          lines: [
            { sku: 'MUG-RED', quantity: 1 },
            { sku: 'IMPORTED-USD', quantity: 1 },
          ],
        }),
      ]);
      const letter = await eventually(
        async () => deadLetters.find((candidate) => candidate.key === orderId),
        REACTION_TIMEOUT_MS,
        'the order in the dead-letter topic',
      );
      assert.equal(letter.headers.get(FAILURE_HEADERS.errorCode), 'INV_MIXED_CURRENCIES');
      assert.match(letter.headers.get(FAILURE_HEADERS.errorMessage) ?? '', /EUR, USD/);
      assert.deepEqual(await inventory.stockOf('MUG-RED'), before);
      assert.deepEqual(await inventory.stockOf('IMPORTED-USD'), {
        available: 10,
        reserved: 0,
        sold: 0,
        totalUnits: 10,
      });
      assert.equal(await inventory.reservationCount(orderId), 0);
      assert.deepEqual(inventory.resultsFor(orderId), []);
    },
  );
  // After the test above: it brings in the USD product.
  await t.test(
    'should ignore, not dead-letter, a second OrderPlaced of a decided order that would now be refused',
    async () => {
      const deadLetters = await readDeadLetters(t, inventory, 'reserveStock');
      const duplicatesBefore = await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' });
      const orderId = newOrderId();
      const first = inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] });
      await inventory.send([first], () => SAME_PARTITION);
      await inventory.waitForResults(orderId);
      // A re-publication with a new event id whose lines now mix currencies: refused if it were a new order.
      const second = inventory.orderPlaced({
        orderId,
        lines: [
          { sku: 'MUG-RED', quantity: 1 },
          { sku: 'IMPORTED-USD', quantity: 1 },
        ],
      });
      await inventory.send([second], () => SAME_PARTITION);
      await eventually(
        async () =>
          (await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' })) > duplicatesBefore
            ? true
            : undefined,
        REACTION_TIMEOUT_MS,
        'the second event recognised as a duplicate',
      );
      await sentinelPassed();
      assert.deepEqual(
        deadLetters.filter((letter) => letter.key === orderId),
        [],
      );
      assert.equal(inventory.resultsFor(orderId).length, 1, 'one result');
    },
  );
});
