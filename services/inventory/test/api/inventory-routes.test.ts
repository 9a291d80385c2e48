import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerToken, serviceToken } from '@shop/test-support';
import { DEMO_CATALOG, DEMO_LIMITED_STOCK_UNITS } from '../../src/db/demo-catalog.ts';
import { newOrderId, startInventory } from '../support/inventory-harness.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

test('inventory HTTP API', async (t) => {
  const inventory = await startInventory(t, { seedDemoCatalog: true });
  const get = (path: string) => fetch(`${inventory.url}${path}`);

  await t.test('should create a product with PUT (201) and read it back with GET', async () => {
    const created = await inventory.put('LAMP-01', {
      name: 'Desk lamp',
      available: 12,
      unitPrice: { amountMinor: 3450, currency: 'EUR' },
    });
    assert.equal(created.status, 201);
    const body = (await created.json()) as Record<string, unknown>;
    assert.deepEqual(
      { ...body, createdAt: undefined, updatedAt: undefined },
      {
        sku: 'LAMP-01',
        name: 'Desk lamp',
        unitPrice: { amountMinor: 3450, currency: 'EUR' },
        available: 12,
        reserved: 0,
        sold: 0,
        totalUnits: 12,
        createdAt: undefined,
        updatedAt: undefined,
      },
    );
    const read = await get('/inventory/LAMP-01');
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), body);
  });

  await t.test('should set available stock with PUT (200) without touching reserved units', async () => {
    await inventory.stock('VASE', 10, 800);
    const orderId = newOrderId();
    await inventory.send([inventory.orderPlaced({ orderId, lines: [{ sku: 'VASE', quantity: 4 }] })]);
    await inventory.waitForResults(orderId);

    const restocked = await inventory.put('VASE', { available: 20 });
    assert.equal(restocked.status, 200);
    const body = (await restocked.json()) as Record<string, unknown>;
    assert.equal(body.available, 20);
    assert.equal(body.reserved, 4, 'reserved units are not PUT-able');
    assert.equal(body.totalUnits, 24, '14 units entered the stock');
    assert.equal(body.name, 'VASE', 'the name defaults to the SKU');

    const renamed = (await (await inventory.put('VASE', { name: 'Blue vase', available: 0 })).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual([renamed.name, renamed.available, renamed.reserved, renamed.totalUnits], ['Blue vase', 0, 4, 4]);
    assert.deepEqual(renamed.unitPrice, { amountMinor: 800, currency: 'EUR' }, 'the price is kept when not given');
  });

  await t.test('should list products in SKU order with the demo catalog seeded, page by page', async () => {
    const all = (await (await get('/inventory?limit=1000')).json()) as { items: { sku: string }[]; nextAfter?: string };
    const skus = all.items.map((item) => item.sku);
    assert.deepEqual(skus, [...skus].sort());
    for (const demo of DEMO_CATALOG) assert.ok(skus.includes(demo.sku), `${demo.sku} seeded`);
    const poster = (await (await get('/inventory/POSTER-LTD')).json()) as { available: number };
    assert.equal(poster.available, DEMO_LIMITED_STOCK_UNITS);
    assert.equal(all.nextAfter, undefined, 'one page holds everything');

    const first = (await (await get('/inventory?limit=2')).json()) as { items: { sku: string }[]; nextAfter?: string };
    assert.deepEqual(
      first.items.map((item) => item.sku),
      skus.slice(0, 2),
    );
    assert.equal(first.nextAfter, skus[1]);
    const second = (await (await get(`/inventory?limit=2&after=${first.nextAfter}`)).json()) as {
      items: { sku: string }[];
    };
    assert.deepEqual(
      second.items.map((item) => item.sku),
      skus.slice(2, 4),
    );
    for (const limit of ['0', '1001', 'ten', '-1']) {
      assert.equal((await get(`/inventory?limit=${limit}`)).status, 400, `limit=${limit}`);
    }
  });

  await t.test('should refuse unknown fields, negative stock and malformed SKUs with 400', async () => {
    const cases: [string, unknown][] = [
      ['MUG-RED', { available: 5, colour: 'red' }],
      ['MUG-RED', { available: -1 }],
      ['MUG-RED', { available: 1.5 }],
      ['MUG-RED', {}],
      ['MUG-RED', { available: 1, unitPrice: { amountMinor: 100, currency: 'eur' } }],
      ['MUG-RED', { available: 1, unitPrice: { amountMinor: 100, currency: 'EUR', vat: 20 } }],
      ['-BAD', { available: 1 }],
    ];
    for (const [sku, body] of cases) {
      const response = await inventory.put(sku, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as ErrorBody).error.code, 'HTTP_VALIDATION_FAILED');
    }
    assert.equal((await inventory.stockOf('MUG-RED')).available, 1_000, 'nothing changed');
  });

  await t.test('should answer 404 INV_SKU_NOT_FOUND for an unknown SKU', async () => {
    const response = await get('/inventory/NO-SUCH-SKU');
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'INV_SKU_NOT_FOUND');
  });

  await t.test('should answer 422 INV_PRICE_REQUIRED when creating a product without a price', async () => {
    const response = await inventory.put('NEW-NO-PRICE', { available: 3 });
    assert.equal(response.status, 422);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'INV_PRICE_REQUIRED');
    assert.equal((await get('/inventory/NEW-NO-PRICE')).status, 404, 'nothing was created');
  });

  await t.test('should answer 409 INV_CURRENCY_MISMATCH for a price outside the catalog currency', async () => {
    const response = await inventory.put('USD-MUG', { available: 3, unitPrice: { amountMinor: 900, currency: 'USD' } });
    assert.equal(response.status, 409);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'INV_CURRENCY_MISMATCH');
  });

  await t.test('should serve reservations by order id, 404 INV_RESERVATION_NOT_FOUND otherwise', async () => {
    const unknown = await inventory.get(`/reservations/${newOrderId()}`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as ErrorBody).error.code, 'INV_RESERVATION_NOT_FOUND');
    const malformed = await inventory.get('/reservations/not-a-uuid');
    assert.equal(malformed.status, 400);
    // A customer may not read reservations (they name other customers' orders): 403; without a token 401.
    assert.equal((await get(`/reservations/${newOrderId()}`)).status, 401);
  });

  await t.test(
    'a customer, a service or nobody should not change stock; the catalog stays readable by all',
    async () => {
      const before = await inventory.stockOf('MUG-RED');
      const anonymous = await fetch(`${inventory.url}/inventory/MUG-RED`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available: 1 }),
      });
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as ErrorBody).error.code, 'PLT_UNAUTHENTICATED');
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
      for (const token of [await customerToken(newOrderId()), await serviceToken()]) {
        const refused = await inventory.put('MUG-RED', { available: 1 }, token);
        assert.equal(refused.status, 403);
        assert.equal(((await refused.json()) as ErrorBody).error.code, 'PLT_FORBIDDEN');
      }
      assert.deepEqual(await inventory.stockOf('MUG-RED'), before, 'nothing changed');
      // An operator can (the harness's default caller).
      assert.equal((await inventory.put('MUG-RED', { available: before.available + 1 })).status, 200);
      assert.equal((await inventory.stockOf('MUG-RED')).available, before.available + 1);
      assert.equal((await get('/inventory/MUG-RED')).status, 200, 'the catalog is public');
      assert.equal((await get('/inventory?limit=1')).status, 200);
    },
  );
  await t.test('should expose reservations by outcome and catalog stock per bucket at /metrics', async () => {
    const page = (await (await get('/inventory?limit=1000')).json()) as {
      items: { available: number; reserved: number; sold: number }[];
    };
    const sum = (bucket: 'available' | 'reserved' | 'sold') =>
      page.items.reduce((total, item) => total + item[bucket], 0);
    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /^inventory_reservations_total\{outcome="reserved"\} 1$/m, 'the VASE order');
    for (const bucket of ['available', 'reserved', 'sold'] as const) {
      assert.match(metrics, new RegExp(`^inventory_stock_units\\{bucket="${bucket}"\\} ${sum(bucket)}$`, 'm'));
    }
    // Every service's registry carries the platform's process metrics, the event loop's busy time among them.
    assert.match(metrics, /^nodejs_eventloop_busy_seconds_total [0-9.e+-]+$/m);
  });
});
