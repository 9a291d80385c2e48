import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  INITIAL_SAGA,
  onReservationReply,
  orderStatusOf,
  type ReservationReply,
  SAGA_STATES,
  type SagaSnapshot,
} from '../../src/domain/order-saga.ts';

const lines = [
  { sku: 'MUG-RED', quantity: 2 },
  { sku: 'TEE-M-BLK', quantity: 1 },
];
const price = { amountMinor: 1_000, currency: 'EUR' };
const reserved: ReservationReply = {
  type: 'InventoryReserved',
  lines: lines.map((line) => ({ ...line, unitPrice: price })),
  total: { amountMinor: 3_000, currency: 'EUR' },
};
const failed: ReservationReply = {
  type: 'InventoryFailed',
  failures: [{ sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 }],
};
const reserving: SagaSnapshot = { state: INITIAL_SAGA.state, lines };

test('a new order saga should be reserving stock, which shows as PENDING', () => {
  assert.equal(INITIAL_SAGA.state, 'RESERVING');
  assert.equal(INITIAL_SAGA.step, 'RESERVE_STOCK');
  assert.equal(orderStatusOf('RESERVING'), 'PENDING');
  assert.deepEqual(
    SAGA_STATES.map(orderStatusOf),
    ['PENDING', 'CONFIRMED', 'CANCELLED'],
    'every state maps to a customer-facing status',
  );
});

test('InventoryReserved while reserving should confirm the order with the quoted total', () => {
  assert.deepEqual(onReservationReply(reserving, reserved), {
    kind: 'transition',
    from: 'RESERVING',
    to: 'CONFIRMED',
    orderStatus: 'CONFIRMED',
    finishes: { step: 'RESERVE_STOCK', status: 'SUCCEEDED' },
    total: { amountMinor: 3_000, currency: 'EUR' },
  });
});

test('InventoryFailed while reserving should cancel the order as ITEMS_UNAVAILABLE', () => {
  const decision = onReservationReply(reserving, failed);
  assert.equal(decision.kind, 'transition');
  assert.ok(decision.kind === 'transition');
  assert.equal(decision.to, 'CANCELLED');
  assert.equal(decision.orderStatus, 'CANCELLED');
  assert.deepEqual(decision.finishes, { step: 'RESERVE_STOCK', status: 'FAILED' });
  assert.equal(decision.cancelReason?.code, 'ITEMS_UNAVAILABLE');
  assert.equal(decision.total, undefined);
});

test('a reply for a settled order should be ignored, and flagged when it contradicts the outcome', () => {
  assert.deepEqual(onReservationReply({ state: 'CONFIRMED', lines }, reserved), {
    kind: 'ignore',
    state: 'CONFIRMED',
    contradicts: false,
  });
  assert.deepEqual(onReservationReply({ state: 'CANCELLED', lines }, failed), {
    kind: 'ignore',
    state: 'CANCELLED',
    contradicts: false,
  });
  assert.deepEqual(onReservationReply({ state: 'CONFIRMED', lines }, failed), {
    kind: 'ignore',
    state: 'CONFIRMED',
    contradicts: true,
  });
  assert.deepEqual(onReservationReply({ state: 'CANCELLED', lines }, reserved), {
    kind: 'ignore',
    state: 'CANCELLED',
    contradicts: true,
  });
});

test('InventoryReserved for other lines than the order has should be rejected, never confirmed', () => {
  const otherLines: ReservationReply = {
    type: 'InventoryReserved',
    lines: [{ sku: 'MUG-RED', quantity: 1, unitPrice: price }],
    total: price,
  };
  const decision = onReservationReply(reserving, otherLines);
  assert.equal(decision.kind, 'reject');
  assert.equal(decision.kind === 'reject' && decision.code, 'ORD_RESERVATION_MISMATCH');
});
