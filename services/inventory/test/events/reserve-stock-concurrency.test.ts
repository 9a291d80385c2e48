import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumer, topic } from '@shop/contracts';
import { newOrderId, type StockRow, startInventory } from '../support/inventory-harness.ts';
import { metricValue } from '../support/metrics.ts';

const HOT_UNITS = 10;
const HOT_ORDERS = 50;
/** Orders sharing SKUs A and B, half of them listing B first. */
const SHARED_ORDERS = 40;
const SHARED_UNITS = 1_000;
/** How often the stock of the hot SKU is sampled while orders are being reserved. */
const SAMPLE_INTERVAL_MS = 20;

test('reserveStock under concurrency', async (t) => {
  const inventory = await startInventory(t);
  const { pool, registry } = inventory.service.context;
  await inventory.stock('HOT', HOT_UNITS);
  await inventory.stock('SHARED-A', SHARED_UNITS);
  await inventory.stock('SHARED-B', SHARED_UNITS);

  await t.test(
    'should reserve exactly the available units, never oversell and never deadlock when orders compete for SKUs',
    async () => {
      const deadlocksBefore = await databaseDeadlocks(pool);
      const partitions = topic('orderPlaced').partitions;
      const hotOrders = Array.from({ length: HOT_ORDERS }, () => newOrderId());
      const sharedOrders = Array.from({ length: SHARED_ORDERS }, () => newOrderId());
      const records = [
        ...hotOrders.map((orderId) => inventory.orderPlaced({ orderId, lines: [{ sku: 'HOT', quantity: 1 }] })),
        ...sharedOrders.map((orderId, index) =>
          inventory.orderPlaced({
            orderId,
            lines:
              index % 2 === 0
                ? [
                    { sku: 'SHARED-A', quantity: 1 },
                    { sku: 'SHARED-B', quantity: 1 },
                  ]
                : [
                    { sku: 'SHARED-B', quantity: 1 },
                    { sku: 'SHARED-A', quantity: 1 },
                  ],
          }),
        ),
      ];

      // Sample the hot SKU while the orders are handled: no intermediate state may oversell.
      const samples: StockRow[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples.push(await inventory.stockOf('HOT'));
          await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
        }
      })();

      // Spread over every partition of the topic, so several partitions are handled at the same time.
      await inventory.send(records, (index) => index % partitions);
      const allOrders = [...hotOrders, ...sharedOrders];
      for (const orderId of allOrders) await inventory.waitForResults(orderId);
      sampling = false;
      await sampler;

      const hotResults = hotOrders.map((orderId) => inventory.resultsFor(orderId));
      assert.ok(
        hotResults.every((results) => results.length === 1),
        'exactly one result per order',
      );
      const outcomes = hotResults.map((results) => results[0]?.type);
      assert.equal(outcomes.filter((type) => type === 'InventoryReserved').length, HOT_UNITS);
      assert.equal(outcomes.filter((type) => type === 'InventoryFailed').length, HOT_ORDERS - HOT_UNITS);
      for (const results of hotResults) {
        if (results[0]?.type !== 'InventoryFailed') continue;
        assert.deepEqual(results[0].payload.failures, [
          { sku: 'HOT', reason: 'INSUFFICIENT_STOCK', requested: 1, available: 0 },
        ]);
      }
      assert.ok(
        sharedOrders.every((orderId) => inventory.resultsFor(orderId)[0]?.type === 'InventoryReserved'),
        'every order sharing A and B was reserved',
      );

      assert.deepEqual(await inventory.stockOf('HOT'), {
        available: 0,
        reserved: HOT_UNITS,
        sold: 0,
        totalUnits: HOT_UNITS,
      });
      for (const sku of ['SHARED-A', 'SHARED-B']) {
        assert.deepEqual(await inventory.stockOf(sku), {
          available: SHARED_UNITS - SHARED_ORDERS,
          reserved: SHARED_ORDERS,
          sold: 0,
          totalUnits: SHARED_UNITS,
        });
      }
      assert.ok(samples.length > 0, 'the stock was sampled while orders were handled');
      for (const sample of samples) {
        assert.ok(sample.available >= 0 && sample.reserved >= 0 && sample.sold >= 0, JSON.stringify(sample));
        assert.equal(sample.available + sample.reserved + sample.sold, HOT_UNITS, 'stock conserved at every step');
      }

      assert.equal(
        await metricValue(registry, 'consumer_infrastructure_retries_total', {
          consumer: consumer('reserveStock').groupId,
        }),
        0,
        'no transaction had to be retried (a deadlock is retried as an infrastructure failure)',
      );
      assert.equal(await databaseDeadlocks(pool), deadlocksBefore, 'PostgreSQL detected no deadlock');
    },
  );
});

/** Deadlocks PostgreSQL detected in the service's database (statistics are flushed within a second). */
async function databaseDeadlocks(pool: import('@shop/platform').Pool): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const result = await pool.query<{ deadlocks: string }>(
    'SELECT pg_stat_clear_snapshot(), deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(result.rows[0]?.deadlocks ?? 0);
}
