/**
 * Sagas at each point of the happy path (placed, charging, confirmed), the replies that move them, and
 * helpers to decide on a fixed clock: shared by the decision tests of this folder.
 */
import assert from 'node:assert/strict';
import { onReply } from '../../../src/domain/saga/on-reply.ts';
import { sagaAfter } from '../../../src/domain/saga/saga-change.ts';
import type {
  DecisionContext,
  SagaChange,
  SagaDecision,
  SagaReply,
  SagaSnapshot,
  SagaStep,
} from '../../../src/domain/saga/saga-model.ts';
import type { SagaSettings } from '../../../src/domain/saga/saga-timing.ts';

export const lines = [
  { sku: 'MUG-RED', quantity: 2 },
  { sku: 'TEE-M-BLK', quantity: 1 },
];
const price = { amountMinor: 1_000, currency: 'EUR' };
export const total = { amountMinor: 3_000, currency: 'EUR' };
export const reserved: SagaReply = {
  type: 'InventoryReserved',
  lines: lines.map((line) => ({ ...line, unitPrice: price })),
  total,
};
export const failed: SagaReply = {
  type: 'InventoryFailed',
  failures: [{ sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 }],
};
export const settings: SagaSettings = {
  stepTimeoutMs: 1_000,
  reservationTimeoutMs: 60_000,
  chargeExpiryMs: 10_000,
  maxSettlementAttempts: 3,
};
export const T0 = new Date('2026-11-26T12:00:00.000Z');

export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

export function contextAt(ms: number): DecisionContext {
  let n = 0;
  return { now: at(ms), settings, newId: () => `00000000-0000-4000-8000-00000000000${++n}` };
}

export const placed: SagaSnapshot = {
  orderId: 'b5e1c4c2-0000-4000-8000-000000000001',
  customerId: 'c0000000-0000-4000-8000-000000000001',
  state: 'RESERVING',
  orderStatus: 'PENDING',
  lines,
  cancelRequested: false,
  operatorRetries: 0,
  openSteps: [{ step: 'RESERVE_STOCK', attempt: 1, deadlineAt: at(60_000) }],
};

export function change(decision: SagaDecision): SagaChange {
  assert.equal(decision.kind, 'change', `expected a change, got ${JSON.stringify(decision)}`);
  return decision as SagaChange;
}

/** Feeds replies in order, asserting each changes the saga; returns the final snapshot. */
export function run(saga: SagaSnapshot, ...replies: SagaReply[]): SagaSnapshot {
  let current = saga;
  for (const reply of replies) current = sagaAfter(current, change(onReply(current, reply, contextAt(0))));
  return current;
}

export function open(saga: SagaSnapshot): SagaStep[] {
  return saga.openSteps.map((step) => step.step).sort();
}

export const charging = run(placed, reserved);
export const paymentId = charging.paymentId ?? '';
export const captured: SagaReply = { type: 'PaymentCaptured', paymentId, amount: total };
export const declined: SagaReply = {
  type: 'PaymentDeclined',
  paymentId,
  reason: { code: 'INSUFFICIENT_FUNDS', message: 'The card issuer declined the payment.' },
};
export const confirmed = run(charging, captured);
