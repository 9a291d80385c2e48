/**
 * SQL for the products table. Stock moves keep `available + reserved + sold = total_units` (a CHECK
 * in the schema); only `insertProduct` and `updateProduct` (PUT /inventory/{sku}) change total_units.
 */

import type { Money } from '@shop/contracts';
import { type PoolClient, platformError, type Queryable } from '@shop/platform';
import { inventoryError } from '../errors.ts';
import { safeInteger } from './safe-integer.ts';

/**
 * Advisory lock key that serialises writes of a price's currency (PUT with a price, the demo seed), so
 * two concurrent first products cannot bring two currencies into the catalog. Advisory locks are per
 * database; the key only has to differ from the platform's (727_001 migrations, 727_002 relay).
 */
export const CATALOG_CURRENCY_LOCK_KEY = 727_101;
export interface Product {
  sku: string;
  name: string;
  unitPrice: Money;
  available: number;
  reserved: number;
  sold: number;
  /** available + reserved + sold: every unit that entered through PUT and has not left through it. */
  totalUnits: number;
  createdAt: Date;
  updatedAt: Date;
}

interface ProductRow {
  sku: string;
  name: string;
  unit_price_minor: string;
  currency: string;
  available: number;
  reserved: number;
  sold: number;
  total_units: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `sku, name, unit_price_minor::text AS unit_price_minor, currency, available, reserved, sold,
  total_units::text AS total_units, created_at, updated_at`;

function toProduct(row: ProductRow): Product {
  return {
    sku: row.sku,
    name: row.name,
    unitPrice: { amountMinor: safeInteger(row.unit_price_minor, 'unit_price_minor'), currency: row.currency },
    available: row.available,
    reserved: row.reserved,
    sold: row.sold,
    totalUnits: safeInteger(row.total_units, 'total_units'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Locks the rows of `skus` that exist, in SKU order, in one statement, and returns them by SKU: a reserve
 * batch's one locking statement, taken before any write. With lockReservations (reservation rows, then
 * product rows, for commits and releases) every stock-moving transaction takes its row locks in one global
 * order, so batches sharing SKUs wait for each other instead of deadlocking, with no global lock; the rule
 * and why it suffices are at lockReservations. (PostgreSQL locks the rows as the sorted result is produced,
 * so ORDER BY decides the locking order.)
 */
export async function lockStock(client: PoolClient, skus: readonly string[]): Promise<Map<string, Product>> {
  if (skus.length === 0) return new Map();
  const result = await client.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
    [[...new Set(skus)]],
  );
  return new Map(result.rows.map((row) => [row.sku, toProduct(row)]));
}

/** The net change of one product's buckets in a transaction; the three always sum to zero. */
export interface StockDelta {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

/**
 * Applies every product's net change with one statement. The rows must be locked by the caller
 * (lockStock, lockReservations); one delta per SKU (an UPDATE … FROM applies one joined row per product,
 * so two deltas of one SKU would lose one). A delta whose product is missing is a bug and fails the
 * transaction, and so does a bucket going below zero or units appearing (CHECK).
 */
export async function applyStockDeltas(client: PoolClient, deltas: readonly StockDelta[]): Promise<void> {
  const changed = deltas.filter((delta) => delta.available !== 0 || delta.reserved !== 0 || delta.sold !== 0);
  if (changed.length === 0) return;
  if (new Set(changed.map((delta) => delta.sku)).size !== changed.length) {
    throw platformError('PLT_UNEXPECTED', 'applyStockDeltas got several deltas for one SKU');
  }
  const result = await client.query(
    `UPDATE products p
     SET available = p.available + d.available, reserved = p.reserved + d.reserved, sold = p.sold + d.sold,
         updated_at = now()
     FROM unnest($1::text[], $2::integer[], $3::integer[], $4::integer[]) AS d(sku, available, reserved, sold)
     WHERE p.sku = d.sku`,
    [
      changed.map((delta) => delta.sku),
      changed.map((delta) => delta.available),
      changed.map((delta) => delta.reserved),
      changed.map((delta) => delta.sold),
    ],
  );
  if (result.rowCount !== changed.length) {
    throw platformError('PLT_UNEXPECTED', `applyStockDeltas updated ${result.rowCount} products for ${changed.length}`);
  }
}

export async function findProduct(db: Queryable, sku: string): Promise<Product | undefined> {
  const result = await db.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE sku = $1`, [sku]);
  const row = result.rows[0];
  return row === undefined ? undefined : toProduct(row);
}

/** Products in SKU order, starting after `after` (keyset pagination), at most `limit`. */
export async function listProducts(
  db: Queryable,
  page: { after?: string | undefined; limit: number },
): Promise<Product[]> {
  const result = await db.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products WHERE $1::text IS NULL OR sku > $1 ORDER BY sku LIMIT $2`,
    [page.after ?? null, page.limit],
  );
  return result.rows.map(toProduct);
}

export async function lockProduct(client: PoolClient, sku: string): Promise<Product | undefined> {
  const result = await client.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE sku = $1 FOR UPDATE`, [sku]);
  const row = result.rows[0];
  return row === undefined ? undefined : toProduct(row);
}

export interface NewProduct {
  sku: string;
  name: string;
  unitPrice: Money;
  available: number;
}

/** Inserts a product with nothing reserved or sold; undefined when the SKU already exists. */
export async function insertProduct(client: PoolClient, product: NewProduct): Promise<Product | undefined> {
  const result = await client.query<ProductRow>(
    `INSERT INTO products (sku, name, unit_price_minor, currency, available, reserved, sold, total_units)
     VALUES ($1, $2, $3, $4, $5::integer, 0, 0, $5::integer)
     ON CONFLICT (sku) DO NOTHING
     RETURNING ${COLUMNS}`,
    [product.sku, product.name, product.unitPrice.amountMinor, product.unitPrice.currency, product.available],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toProduct(row);
}

/** Inserts the products whose SKU is not there yet; returns the SKUs inserted. Existing rows are untouched. */
export async function insertMissingProducts(client: PoolClient, products: readonly NewProduct[]): Promise<string[]> {
  const result = await client.query<{ sku: string }>(
    `INSERT INTO products (sku, name, unit_price_minor, currency, available, reserved, sold, total_units)
     SELECT p.sku, p.name, p.price, p.currency, p.available, 0, 0, p.available
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::integer[])
       AS p(sku, name, price, currency, available)
     ON CONFLICT (sku) DO NOTHING
     RETURNING sku`,
    [
      products.map((product) => product.sku),
      products.map((product) => product.name),
      products.map((product) => product.unitPrice.amountMinor),
      products.map((product) => product.unitPrice.currency),
      products.map((product) => product.available),
    ],
  );
  return result.rows.map((row) => row.sku).sort();
}

export interface ProductChange {
  name?: string | undefined;
  unitPrice?: Money | undefined;
  /** The new available count; the difference enters (or leaves) the stock, so total_units moves with it. */
  available: number;
}

/** Applies `change` to a product the caller has locked; reserved and sold are never touched here. */
export async function updateProduct(client: PoolClient, sku: string, change: ProductChange): Promise<Product> {
  const result = await client.query<ProductRow>(
    `UPDATE products SET
       name = COALESCE($2, name),
       unit_price_minor = COALESCE($3, unit_price_minor),
       currency = COALESCE($4, currency),
       total_units = total_units + ($5::integer - available),
       available = $5::integer,
       updated_at = now()
     WHERE sku = $1
     RETURNING ${COLUMNS}`,
    [
      sku,
      change.name ?? null,
      change.unitPrice?.amountMinor ?? null,
      change.unitPrice?.currency ?? null,
      change.available,
    ],
  );
  const row = result.rows[0];
  if (row === undefined) throw platformError('PLT_UNEXPECTED', `updateProduct: ${sku} vanished while locked`);
  return toProduct(row);
}

/**
 * The catalog has one currency, so that every order can be totalled (a total of EUR and USD lines has
 * no meaning). Takes the catalog-currency lock for the rest of the transaction, then refuses a price in
 * another currency than the one the other products use.
 */
export async function ensureCatalogCurrency(
  client: PoolClient,
  currency: string,
  /** The product being priced, whose own current currency does not count. Default: none. */
  exceptSku?: string,
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CATALOG_CURRENCY_LOCK_KEY]);
  const result = await client.query<{ currency: string }>(
    'SELECT currency FROM products WHERE ($1::text IS NULL OR sku <> $1) AND currency <> $2 LIMIT 1',
    [exceptSku ?? null, currency],
  );
  const other = result.rows[0]?.currency;
  if (other !== undefined) {
    throw inventoryError(
      'INV_CURRENCY_MISMATCH',
      `The catalog is priced in ${other}; a price in ${currency} cannot be added to it`,
      { details: { sku: exceptSku, currency, catalogCurrency: other } },
    );
  }
}

export interface StockTotals {
  available: number;
  reserved: number;
  sold: number;
}

/** Units per bucket over the whole catalog (metrics). */
export async function stockTotals(db: Queryable): Promise<StockTotals> {
  const result = await db.query<{ available: string; reserved: string; sold: string }>(
    `SELECT COALESCE(sum(available), 0)::text AS available, COALESCE(sum(reserved), 0)::text AS reserved,
            COALESCE(sum(sold), 0)::text AS sold
     FROM products`,
  );
  const row = result.rows[0];
  return {
    available: safeInteger(row?.available ?? '0', 'available'),
    reserved: safeInteger(row?.reserved ?? '0', 'reserved'),
    sold: safeInteger(row?.sold ?? '0', 'sold'),
  };
}
