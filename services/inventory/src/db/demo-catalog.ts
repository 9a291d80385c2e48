/**
 * The demo catalog `npm start` seeds (SEED_DEMO_CATALOG=true): a few EUR products with plenty of
 * stock, and POSTER-LTD with only 5 units to show the out-of-stock path. Seeding inserts the products
 * that are missing and nothing else: it never resets stock, so restarting the stack keeps what earlier
 * orders reserved and sold, and stock stays conserved.
 */
import { inTransaction, type Pool } from '@shop/platform';
import { ensureCatalogCurrency, insertMissingProducts, type NewProduct } from './product-repository.ts';

/** Units of each regular demo product: enough for a demo and a short load run. */
export const DEMO_STOCK_UNITS = 1_000;
/** Units of the limited demo product: a handful of orders exhausts it. */
export const DEMO_LIMITED_STOCK_UNITS = 5;
export const DEMO_CURRENCY = 'EUR';

export const DEMO_CATALOG: readonly NewProduct[] = Object.freeze([
  {
    sku: 'MUG-RED',
    name: 'Red mug',
    unitPrice: { amountMinor: 1250, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'TEE-M-BLK',
    name: 'T-shirt, black, M',
    unitPrice: { amountMinor: 1999, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'TEE-L-WHT',
    name: 'T-shirt, white, L',
    unitPrice: { amountMinor: 1999, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'HOODIE-M-GRY',
    name: 'Hoodie, grey, M',
    unitPrice: { amountMinor: 4999, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'CAP-BLU',
    name: 'Blue cap',
    unitPrice: { amountMinor: 1499, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'STICKER-PACK',
    name: 'Sticker pack',
    unitPrice: { amountMinor: 399, currency: DEMO_CURRENCY },
    available: DEMO_STOCK_UNITS,
  },
  {
    sku: 'POSTER-LTD',
    name: 'Limited edition poster',
    unitPrice: { amountMinor: 2500, currency: DEMO_CURRENCY },
    available: DEMO_LIMITED_STOCK_UNITS,
  },
]);

/**
 * Inserts the demo products that do not exist yet; returns the SKUs inserted (empty when all exist).
 * Fails with INV_CURRENCY_MISMATCH when the catalog is already priced in another currency.
 */
export async function seedDemoCatalog(pool: Pool): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    await ensureCatalogCurrency(client, DEMO_CURRENCY);
    return insertMissingProducts(client, DEMO_CATALOG);
  });
}
