import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type PlaceOrderRequest,
  requestFingerprint,
  toPlaceOrderCommand,
} from '../../src/domain/place-order-command.ts';

const request: PlaceOrderRequest = {
  customerId: 'A760F54D-F7D6-4DF4-82D1-BCE9D52AC8D0',
  items: [
    { sku: 'MUG-RED', quantity: 2 },
    { sku: 'TEE-M-BLK', quantity: 1 },
  ],
  contact: { email: 'ada@example.com', phone: '+44 1632 960961' },
};

function fingerprintOf(input: PlaceOrderRequest): string {
  const result = toPlaceOrderCommand(input);
  assert.ok(result.ok);
  return requestFingerprint(result.command);
}

test('toPlaceOrderCommand should lowercase the customer id, merge lines and normalise the phone', () => {
  const result = toPlaceOrderCommand({ ...request, items: [...request.items, { sku: 'MUG-RED', quantity: 1 }] });
  assert.deepEqual(result, {
    ok: true,
    command: {
      customerId: 'a760f54d-f7d6-4df4-82d1-bce9d52ac8d0',
      lines: [
        { sku: 'MUG-RED', quantity: 3 },
        { sku: 'TEE-M-BLK', quantity: 1 },
      ],
      contact: { email: 'ada@example.com', phone: '+441632960961' },
    },
  });
});

test('toPlaceOrderCommand should leave the phone out when none is given', () => {
  const result = toPlaceOrderCommand({ ...request, contact: { email: 'ada@example.com' } });
  assert.ok(result.ok);
  assert.deepEqual(result.command.contact, { email: 'ada@example.com' });
});

test('requestFingerprint should be equal for requests that place the same order', () => {
  const base = fingerprintOf(request);
  assert.equal(fingerprintOf({ ...request, items: [...request.items].reverse() }), base, 'lines reordered');
  assert.equal(
    fingerprintOf({
      ...request,
      items: [
        { sku: 'MUG-RED', quantity: 1 },
        { sku: 'TEE-M-BLK', quantity: 1 },
        { sku: 'MUG-RED', quantity: 1 },
      ],
    }),
    base,
    'a SKU split over two lines',
  );
  assert.equal(fingerprintOf({ ...request, customerId: request.customerId.toLowerCase() }), base, 'id case');
  assert.equal(fingerprintOf({ ...request, contact: { ...request.contact, phone: '+441632960961' } }), base);
});

test('requestFingerprint should differ when anything that changes the order differs', () => {
  const base = fingerprintOf(request);
  const variants: PlaceOrderRequest[] = [
    { ...request, items: [{ sku: 'MUG-RED', quantity: 2 }] },
    { ...request, items: [{ sku: 'MUG-RED', quantity: 3 }, request.items[1] as PlaceOrderRequest['items'][0]] },
    { ...request, customerId: 'b760f54d-f7d6-4df4-82d1-bce9d52ac8d0' },
    { ...request, contact: { email: 'bob@example.com', phone: '+441632960961' } },
    { ...request, contact: { email: 'ada@example.com' } },
  ];
  for (const variant of variants) assert.notEqual(fingerprintOf(variant), base, JSON.stringify(variant));
});
