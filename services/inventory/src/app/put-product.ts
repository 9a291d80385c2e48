/**
 * PUT /inventory/{sku}: create a product or set its available stock (and optionally its name and price),
 * in one transaction. Setting `available` is how units enter or leave the shop: total_units moves by the
 * same difference, reserved and sold are never touched, so stock stays conserved.
 */

import type { Money } from '@shop/contracts';
import { inTransaction, type Pool, platformError } from '@shop/platform';
import {
  ensureCatalogCurrency,
  insertProduct,
  lockProduct,
  type Product,
  updateProduct,
} from '../db/product-repository.ts';
import { inventoryError } from '../errors.ts';

/** What `PUT /inventory/{sku}` asks for (its body, validated by the route's schema). */
export interface ProductChange {
  /** Display name; default for a new product: the SKU; unchanged when absent. */
  readonly name?: string | undefined;
  /** Units available to reserve from now on. */
  readonly available: number;
  /** Required to create a product; unchanged when absent. */
  readonly unitPrice?: Money | undefined;
}

export interface PutProductResult {
  product: Product;
  created: boolean;
}

export async function putProduct(pool: Pool, sku: string, body: ProductChange): Promise<PutProductResult> {
  return inTransaction(pool, async (client) => {
    if (body.unitPrice !== undefined) await ensureCatalogCurrency(client, body.unitPrice.currency, sku);
    let current = await lockProduct(client, sku);
    if (current === undefined) {
      if (body.unitPrice === undefined) {
        throw inventoryError('INV_PRICE_REQUIRED', `Product ${sku} does not exist; creating it needs a unitPrice`, {
          details: { sku },
        });
      }
      const created = await insertProduct(client, {
        sku,
        name: body.name ?? sku,
        unitPrice: body.unitPrice,
        available: body.available,
      });
      if (created !== undefined) return { product: created, created: true };
      // A concurrent PUT created it after our lookup; it is committed now, so update that row instead.
      current = await lockProduct(client, sku);
      if (current === undefined) throw platformError('PLT_UNEXPECTED', `Product ${sku} neither exists nor inserts`);
    }
    const product = await updateProduct(client, sku, {
      name: body.name,
      unitPrice: body.unitPrice,
      available: body.available,
    });
    return { product, created: false };
  });
}
