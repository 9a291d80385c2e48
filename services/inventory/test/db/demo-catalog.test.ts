import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inTransaction, isAppError, migrate } from '@shop/platform';
import { createTestDatabase } from '@shop/test-support';
import { DEMO_CATALOG, seedDemoCatalog } from '../../src/db/demo-catalog.ts';
import { insertProduct } from '../../src/db/product-repository.ts';
import { createInventoryService } from '../../src/service.ts';

async function migratedDatabase(t: import('node:test').TestContext) {
  const db = await createTestDatabase(t, 'inventory_seed');
  await migrate(db.pool, createInventoryService({ seedDemoCatalog: false }).migrations);
  return db;
}

test('seedDemoCatalog should insert the missing demo products only, and never reset stock', async (t) => {
  const { pool } = await migratedDatabase(t);
  assert.deepEqual(await seedDemoCatalog(pool), DEMO_CATALOG.map((product) => product.sku).sort());
  await pool.query("UPDATE products SET available = available - 3, reserved = reserved + 3 WHERE sku = 'MUG-RED'");
  await pool.query("DELETE FROM products WHERE sku = 'CAP-BLU'");

  assert.deepEqual(await seedDemoCatalog(pool), ['CAP-BLU'], 'only the missing product is inserted again');
  const mug = await pool.query<{ available: number; reserved: number }>(
    "SELECT available, reserved FROM products WHERE sku = 'MUG-RED'",
  );
  assert.deepEqual(mug.rows[0], { available: 997, reserved: 3 }, 'existing stock is kept');
  assert.deepEqual(await seedDemoCatalog(pool), [], 'a third run changes nothing');
  const limited = await pool.query<{ available: number }>("SELECT available FROM products WHERE sku = 'POSTER-LTD'");
  assert.equal(limited.rows[0]?.available, 5, 'the limited SKU demos the out-of-stock path');
});

test('seedDemoCatalog should refuse to bring EUR products into a catalog priced in another currency', async (t) => {
  const { pool } = await migratedDatabase(t);
  await inTransaction(pool, (client) =>
    insertProduct(client, {
      sku: 'USD-ONLY',
      name: 'USD',
      unitPrice: { amountMinor: 1, currency: 'USD' },
      available: 1,
    }),
  );
  await assert.rejects(seedDemoCatalog(pool), (error) => isAppError(error) && error.code === 'INV_CURRENCY_MISMATCH');
  const count = await pool.query<{ count: string }>('SELECT count(*)::text AS count FROM products');
  assert.equal(count.rows[0]?.count, '1');
});

test('the products table should refuse any change that creates or loses a unit', async (t) => {
  const { pool } = await migratedDatabase(t);
  await seedDemoCatalog(pool);
  await assert.rejects(
    pool.query("UPDATE products SET reserved = reserved + 1 WHERE sku = 'MUG-RED'"),
    (error) => (error as { constraint?: string }).constraint === 'products_stock_conserved',
  );
  await assert.rejects(
    pool.query("UPDATE products SET available = available - 1001, reserved = reserved + 1001 WHERE sku = 'MUG-RED'"),
    (error) => (error as { code?: string }).code === '23514',
    'no bucket goes below zero',
  );
});
