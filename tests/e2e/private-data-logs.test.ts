/**
 * Contact data never reaches a log line: one order placed with an e-mail address and a phone number goes
 * through every service (placed, reserved, charged, confirmed, notified by e-mail and SMS) with each
 * service logging at debug level into one captured stream, and neither appears in it.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { customerToken, eventually, uniqueName } from '@shop/test-support';
import { http, notifications, putStock, settled, startStack } from '@shop/test-support/stack';

test("an order's e-mail address and phone number should appear in no service's log, at debug level", async (t) => {
  const captured: string[] = [];
  const logs = new PassThrough();
  logs.on('data', (chunk: Buffer) => captured.push(chunk.toString()));
  const debug = { LOG_LEVEL: 'debug' };
  const stack = await startStack(t, {
    env: { order: debug, inventory: debug, payment: debug, notification: debug },
    logDestination: logs,
  });
  const sku = uniqueName('PII')
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
  await putStock(stack.inventory.url, sku, 5);
  const local = uniqueName('pii')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  const email = `${local}@example.com`;
  const phone = `+4915${String(Date.now()).slice(-9)}`;
  const placed = await http<{ orderId: string }>(`${stack.order.url}/orders`, {
    method: 'POST',
    token: await customerToken(crypto.randomUUID()),
    body: { items: [{ sku, quantity: 1 }], contact: { email, phone } },
  });
  assert.equal(placed.status, 202);
  const { orderId } = placed.body;
  assert.equal((await settled(stack.order.url, orderId)).status, 'CONFIRMED');
  await eventually(
    async () => ((await notifications(stack.notification.url, orderId)).length === 2 ? true : undefined),
    20_000,
    'the e-mail and the SMS sent',
  );

  const text = captured.join('');
  assert.ok(text.includes(orderId), 'the capture holds the order flow (its id is logged at debug level)');
  assert.ok(!text.includes(local), `the e-mail address was logged:\n${lineWith(text, local)}`);
  assert.ok(!text.includes(phone.slice(1)), `the phone number was logged:\n${lineWith(text, phone.slice(1))}`);
});

function lineWith(text: string, needle: string): string {
  return text.split('\n').find((line) => line.includes(needle)) ?? '';
}
