import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, uniqueName } from '@shop/test-support';
import { http, notifications, placeOrder, putStock, settled, startStack } from '@shop/test-support/stack';

function sku(prefix: string): string {
  return uniqueName(prefix)
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
}

test('an order for stock on hand is CONFIRMED end to end and the customer gets one email and one SMS', async (t) => {
  const stack = await startStack(t);
  const mug = sku('MUG');
  await putStock(stack.inventory.url, mug, 5, 1_250);
  const orderId = await placeOrder(stack.order.url, [{ sku: mug, quantity: 2 }], '+4915112345678');

  const order = await settled(stack.order.url, orderId);
  assert.equal(order.status, 'CONFIRMED');
  const sent = await eventually(
    async () => {
      const list = await notifications(stack.notification.url, orderId);
      return list.length >= 2 ? list : undefined;
    },
    20_000,
    'two notifications',
  );
  assert.deepEqual(sent.map((n) => n.channel).sort(), ['email', 'sms']);
  const { body: product } = await http<{ available: number; reserved: number; sold: number }>(
    `${stack.inventory.url}/inventory/${mug}`,
  );
  assert.equal(product.available, 3);
  assert.equal(product.available + product.reserved + product.sold, 5, 'stock conserved');
});

test('an order for more than the stock is CANCELLED with the reason and the customer is told once', async (t) => {
  const stack = await startStack(t);
  const poster = sku('POSTER');
  await putStock(stack.inventory.url, poster, 1);
  const orderId = await placeOrder(stack.order.url, [{ sku: poster, quantity: 2 }]);

  const order = await settled(stack.order.url, orderId);
  assert.equal(order.status, 'CANCELLED');
  const reason = order.cancelReason as { code: string; message: string };
  assert.equal(reason.code, 'ITEMS_UNAVAILABLE');
  assert.match(reason.message, /only 1 available/);
  const sent = await eventually(
    async () => {
      const list = await notifications(stack.notification.url, orderId);
      return list.length >= 1 ? list : undefined;
    },
    20_000,
    'one notification',
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(
    (await notifications(stack.notification.url, orderId)).map((n) => n.channel),
    ['email'],
  );
  assert.equal(sent.length, 1);
  const { body: product } = await http<{ available: number }>(`${stack.inventory.url}/inventory/${poster}`);
  assert.equal(product.available, 1, 'nothing reserved for a failed order');
});

test('50 concurrent orders for a SKU with 10 units end with exactly 10 CONFIRMED and 40 CANCELLED, stock never negative', async (t) => {
  const stack = await startStack(t);
  const limited = sku('LIMITED');
  const UNITS = 10;
  const ORDERS = 50;
  await putStock(stack.inventory.url, limited, UNITS);
  const orderIds = await Promise.all(
    Array.from({ length: ORDERS }, () => placeOrder(stack.order.url, [{ sku: limited, quantity: 1 }])),
  );
  const outcomes = await Promise.all(orderIds.map((id) => settled(stack.order.url, id, 60_000)));
  const confirmed = outcomes.filter((o) => o.status === 'CONFIRMED').length;
  assert.equal(confirmed, UNITS);
  assert.equal(outcomes.filter((o) => o.status === 'CANCELLED').length, ORDERS - UNITS);
  const { body: product } = await http<{ available: number; reserved: number; sold: number }>(
    `${stack.inventory.url}/inventory/${limited}`,
  );
  assert.equal(product.available, 0);
  assert.equal(product.available + product.reserved + product.sold, UNITS);
});
