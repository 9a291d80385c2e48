/** Placing an order starts its saga (startSaga): what the placement statement writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSaga } from '../../../src/domain/saga/start-saga.ts';

test('a new order should start its saga reserving, with the reservation due after its timeout', () => {
  const command = {
    customerId: 'c0000000-0000-4000-8000-000000000001',
    lines: [
      { sku: 'MUG-RED', quantity: 2 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    contact: { email: 'ada@example.com', phone: '+441632960961' },
  };
  assert.deepEqual(startSaga('b5e1c4c2-0000-4000-8000-000000000001', command, { reservationTimeoutMs: 60_000 }), {
    state: 'RESERVING',
    step: 'RESERVE_STOCK',
    deadlineAfterMs: 60_000,
    // The lines only: Inventory never sees who ordered.
    orderPlaced: { orderId: 'b5e1c4c2-0000-4000-8000-000000000001', lines: command.lines },
  });
});
