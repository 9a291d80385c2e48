/**
 * The catalog and its stock over HTTP:
 * - GET /inventory                  products in SKU order, paginated (`after`, `limit`)
 * - GET /inventory/{sku}            one product; 404 INV_SKU_NOT_FOUND
 * - PUT /inventory/{sku}            create (201) or set stock/name/price (200)
 *
 * PUT is unauthenticated for now: it will be protected by the security work (an operator role), as it
 * moves stock in and out of the shop. Until then, expose the service only on a trusted network.
 */
import { type Pool, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import { putProduct } from '../app/put-product.ts';
import { findProduct, listProducts } from '../db/product-repository.ts';
import { INVENTORY_ERRORS, inventoryError } from '../errors.ts';
import { DEFAULT_PAGE_SIZE, ListQuery, ProductPage, ProductView, PutProductBody, SkuParams } from './schemas.ts';
import { productView } from './views.ts';

export function registerInventoryRoutes(app: FastifyInstance, { pool }: { pool: Pool }): void {
  app.get<{ Querystring: ListQuery }>(
    '/inventory',
    {
      schema: { querystring: ListQuery, response: { 200: ProductPage } },
      // The catalog is the storefront's: browsed without signing in.
      config: { errors: routeErrors(INVENTORY_ERRORS), access: 'public' },
    },
    async (request): Promise<ProductPage> => {
      const limit = request.query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(request.query.limit);
      // One more than the page tells whether another page follows without a count query.
      const rows = await listProducts(pool, { after: request.query.after, limit: limit + 1 });
      const items = rows.slice(0, limit).map(productView);
      const last = items[items.length - 1];
      return { items, ...(rows.length > limit && last !== undefined ? { nextAfter: last.sku } : {}) };
    },
  );

  app.get<{ Params: SkuParams }>(
    '/inventory/:sku',
    {
      schema: { params: SkuParams, response: { 200: ProductView } },
      config: { errors: routeErrors(INVENTORY_ERRORS, 'INV_SKU_NOT_FOUND'), access: 'public' },
    },
    async (request): Promise<ProductView> => {
      const product = await findProduct(pool, request.params.sku);
      if (product === undefined) {
        throw inventoryError('INV_SKU_NOT_FOUND', `No product with SKU ${request.params.sku}`);
      }
      return productView(product);
    },
  );

  app.put<{ Params: SkuParams; Body: PutProductBody }>(
    '/inventory/:sku',
    {
      schema: { params: SkuParams, body: PutProductBody, response: { 200: ProductView, 201: ProductView } },
      // Stock and prices are changed by operators only.
      config: {
        errors: routeErrors(INVENTORY_ERRORS, 'INV_PRICE_REQUIRED', 'INV_CURRENCY_MISMATCH'),
        access: ['operator'],
      },
    },
    async (request, reply) => {
      const { product, created } = await putProduct(pool, request.params.sku, request.body);
      return reply.status(created ? 201 : 200).send(productView(product));
    },
  );
}
