import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHARGE_EXPIRY_SKEW_MARGIN_MS,
  type DecisionContext,
  INITIAL_SAGA,
  onCancelRequest,
  onOperatorRetry,
  onReply,
  onStepDeadline,
  type SagaChange,
  type SagaDecision,
  type SagaReply,
  type SagaSettings,
  type SagaSnapshot,
  type SagaStep,
  sagaAfter,
  settlementDeadline,
} from '../../src/domain/order-saga.ts';

const lines = [
  { sku: 'MUG-RED', quantity: 2 },
  { sku: 'TEE-M-BLK', quantity: 1 },
];
const price = { amountMinor: 1_000, currency: 'EUR' };
const total = { amountMinor: 3_000, currency: 'EUR' };
const reserved: SagaReply = {
  type: 'InventoryReserved',
  lines: lines.map((line) => ({ ...line, unitPrice: price })),
  total,
};
const failed: SagaReply = {
  type: 'InventoryFailed',
  failures: [{ sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 }],
};
const settings: SagaSettings = {
  stepTimeoutMs: 1_000,
  reservationTimeoutMs: 60_000,
  chargeExpiryMs: 10_000,
  maxSettlementAttempts: 3,
};
const T0 = new Date('2026-11-26T12:00:00.000Z');

function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

function contextAt(ms: number): DecisionContext {
  let n = 0;
  return { now: at(ms), settings, newId: () => `00000000-0000-4000-8000-00000000000${++n}` };
}

const placed: SagaSnapshot = {
  orderId: 'b5e1c4c2-0000-4000-8000-000000000001',
  customerId: 'c0000000-0000-4000-8000-000000000001',
  state: INITIAL_SAGA.state,
  orderStatus: 'PENDING',
  lines,
  cancelRequested: false,
  operatorRetries: 0,
  openSteps: [{ step: 'RESERVE_STOCK', attempt: 1, deadlineAt: at(60_000) }],
};

function change(decision: SagaDecision): SagaChange {
  assert.equal(decision.kind, 'change', `expected a change, got ${JSON.stringify(decision)}`);
  return decision as SagaChange;
}

/** Feeds replies in order, asserting each changes the saga; returns the final snapshot. */
function run(saga: SagaSnapshot, ...replies: SagaReply[]): SagaSnapshot {
  let current = saga;
  for (const reply of replies) current = sagaAfter(current, change(onReply(current, reply, contextAt(0))));
  return current;
}

function open(saga: SagaSnapshot): SagaStep[] {
  return saga.openSteps.map((step) => step.step).sort();
}

const charging = run(placed, reserved);
const paymentId = charging.paymentId ?? '';
const captured: SagaReply = { type: 'PaymentCaptured', paymentId, amount: total };
const declined: SagaReply = {
  type: 'PaymentDeclined',
  paymentId,
  reason: { code: 'INSUFFICIENT_FUNDS', message: 'The card issuer declined the payment.' },
};
const confirmed = run(charging, captured);

test('InventoryReserved should start the charge with a fresh payment id and an expiry', () => {
  const decision = change(onReply(placed, reserved, contextAt(0)));
  assert.equal(decision.state, 'CHARGING');
  assert.equal(decision.orderStatus, 'PENDING');
  assert.deepEqual(decision.closes, [{ step: 'RESERVE_STOCK', status: 'SUCCEEDED' }]);
  assert.deepEqual(decision.starts, [{ step: 'CHARGE_PAYMENT', deadlineAt: at(1_000) }]);
  assert.deepEqual(decision.fields.total, total);
  assert.deepEqual(decision.fields.chargeExpiresAt, at(10_000));
  assert.ok(decision.fields.paymentId);
});

test('PaymentCaptured should confirm the order, publish OrderConfirmed and commit the stock', () => {
  const decision = change(onReply(charging, captured, contextAt(0)));
  assert.equal(decision.state, 'CONFIRMED');
  assert.equal(decision.orderStatus, 'CONFIRMED');
  assert.deepEqual(decision.outcome, { type: 'OrderConfirmed' });
  assert.deepEqual(
    decision.starts.map((start) => start.step),
    ['COMMIT_STOCK'],
  );
  const committed = run(sagaAfter(charging, decision), { type: 'ReservationCommitted' });
  assert.equal(committed.state, 'CONFIRMED');
  assert.deepEqual(open(committed), []);
});

test('a declined charge should release the stock and cancel only once the release is answered', () => {
  const cancelling = run(charging, declined);
  assert.equal(cancelling.state, 'CANCELLING');
  assert.equal(cancelling.orderStatus, 'PENDING', 'not CANCELLED before the stock is back');
  assert.deepEqual(open(cancelling), ['RELEASE_STOCK']);
  const decision = change(onReply(cancelling, { type: 'ReservationReleased' }, contextAt(0)));
  assert.equal(decision.state, 'CANCELLED');
  assert.equal(decision.orderStatus, 'CANCELLED');
  assert.deepEqual(decision.outcome, {
    type: 'OrderCancelled',
    reason: { code: 'PAYMENT_DECLINED', message: 'The card issuer declined the payment.' },
  });
});

test('InventoryFailed should cancel at once with the lines that failed', () => {
  const decision = change(onReply(placed, failed, contextAt(0)));
  assert.equal(decision.orderStatus, 'CANCELLED');
  assert.equal(decision.outcome?.type, 'OrderCancelled');
  assert.equal(decision.outcome?.type === 'OrderCancelled' && decision.outcome.reason.code, 'ITEMS_UNAVAILABLE');
  assert.deepEqual(decision.starts, []);
});

test('cancelling a confirmed order should refund and release, then cancel with the refunded amount', () => {
  const cancelling = sagaAfter(confirmed, change(onCancelRequest(confirmed, contextAt(0))));
  assert.deepEqual(open(cancelling), ['REFUND_PAYMENT', 'RELEASE_STOCK'], 'the unanswered commit is abandoned');
  assert.equal(cancelling.orderStatus, 'CONFIRMED');
  const refundId = cancelling.refundId ?? '';
  const refunded = run(cancelling, { type: 'PaymentRefunded', refundId, amount: total });
  assert.equal(refunded.state, 'CANCELLING', 'still waiting for the release');
  const decision = change(onReply(refunded, { type: 'ReservationReleased' }, contextAt(0)));
  assert.equal(decision.orderStatus, 'CANCELLED');
  assert.equal(decision.outcome?.type === 'OrderCancelled' && decision.outcome.reason.code, 'CUSTOMER_CANCELLED');
  assert.deepEqual(sagaAfter(refunded, decision).refunded, total);
  // The customer asking again changes nothing: one refund id, one refund.
  assert.equal(onCancelRequest(cancelling, contextAt(0)).kind, 'ignore');
  assert.equal(onCancelRequest(sagaAfter(refunded, decision), contextAt(0)).kind, 'ignore');
});

test('a cancellation while the charge is in flight should wait for its answer, then compensate', () => {
  const requested = sagaAfter(charging, change(onCancelRequest(charging, contextAt(0))));
  assert.equal(requested.state, 'CHARGING');
  assert.ok(requested.cancelRequested);
  const afterCapture = run(requested, captured);
  assert.equal(afterCapture.state, 'CANCELLING');
  assert.deepEqual(open(afterCapture), ['REFUND_PAYMENT', 'RELEASE_STOCK']);
  assert.equal(afterCapture.orderStatus, 'PENDING', 'never shown CONFIRMED');
  const expired = sagaAfter(requested, { ...change(onStepDeadline(requested, 'CHARGE_PAYMENT', contextAt(1_000))) });
  assert.equal(expired.openSteps[0]?.attempt, 2, 'still re-sent: a reply may be on its way');
  const givenUp = change(onStepDeadline(expired, 'CHARGE_PAYMENT', contextAt(60_000)));
  assert.equal(givenUp.fields.pendingCancelReason?.code, 'CUSTOMER_CANCELLED', 'the customer asked first');
  const afterDecline = run(requested, declined);
  assert.deepEqual(open(afterDecline), ['RELEASE_STOCK']);
  assert.equal(afterDecline.pendingCancelReason?.code, 'CUSTOMER_CANCELLED');
});

test('duplicate and out-of-order replies should change nothing', () => {
  const duplicates: [SagaSnapshot, SagaReply][] = [
    [charging, reserved],
    [confirmed, captured],
    [confirmed, reserved],
    [confirmed, { type: 'ReservationReleased' }],
    [charging, { type: 'ReservationCommitted' }],
    [charging, { type: 'ReservationReleased' }],
    [placed, { type: 'ReservationCommitted' }],
  ];
  for (const [saga, reply] of duplicates) {
    assert.equal(onReply(saga, reply, contextAt(0)).kind, 'ignore', `${reply.type} in ${saga.state}`);
  }
  // A decline after the capture (the provider cannot say both): ignored, flagged as a contradiction.
  assert.deepEqual(onReply(confirmed, declined, contextAt(0)), {
    kind: 'ignore',
    state: 'CONFIRMED',
    contradicts: true,
  });
  // A refund reply before any refund was asked for names an unknown refund: dead-lettered, not applied.
  const stray = onReply(confirmed, { type: 'PaymentRefunded', refundId: 'x', amount: total }, contextAt(0));
  assert.equal(stray.kind, 'reject');
});

test('a reply naming another payment should be rejected, never applied', () => {
  const other = { ...captured, paymentId: 'ffffffff-0000-4000-8000-000000000000' };
  assert.deepEqual(onReply(charging, other, contextAt(0)), {
    kind: 'reject',
    code: 'ORD_PAYMENT_MISMATCH',
    message: 'PaymentCaptured names a payment this saga did not make',
  });
});

test('an unanswered charge should be re-sent with the same payment id until it expires, then refunded', () => {
  const resent = change(onStepDeadline(charging, 'CHARGE_PAYMENT', contextAt(1_000)));
  assert.deepEqual(resent.closes, [{ step: 'CHARGE_PAYMENT', status: 'TIMED_OUT' }]);
  assert.deepEqual(resent.starts, [{ step: 'CHARGE_PAYMENT', deadlineAt: at(1_000 + 2 * 1_000) }], 'backed off');
  assert.equal(resent.fields.paymentId, undefined, 'the same payment id');
  const second = sagaAfter(charging, resent);
  assert.equal(second.openSteps[0]?.attempt, 2);
  // Not yet due: nothing happens.
  assert.equal(onStepDeadline(second, 'CHARGE_PAYMENT', contextAt(2_500)).kind, 'ignore');
  // The last attempt's deadline never passes the give-up point.
  const late = change(onStepDeadline(second, 'CHARGE_PAYMENT', contextAt(14_500)));
  assert.deepEqual(late.starts[0]?.deadlineAt, at(10_000 + CHARGE_EXPIRY_SKEW_MARGIN_MS));
  const lastAttempt = sagaAfter(second, late);
  const givenUp = change(
    onStepDeadline(lastAttempt, 'CHARGE_PAYMENT', contextAt(10_000 + CHARGE_EXPIRY_SKEW_MARGIN_MS)),
  );
  assert.equal(givenUp.state, 'CANCELLING');
  assert.deepEqual(givenUp.closes, [{ step: 'CHARGE_PAYMENT', status: 'ABANDONED' }]);
  assert.deepEqual(
    givenUp.starts.map((start) => start.step),
    ['REFUND_PAYMENT', 'RELEASE_STOCK'],
  );
  assert.equal(givenUp.fields.pendingCancelReason?.code, 'PROCESSING_TIMEOUT');
  // A capture that arrives after the give-up is covered by that refund: nothing more is sent.
  const cancelling = sagaAfter(lastAttempt, givenUp);
  assert.equal(onReply(cancelling, captured, contextAt(20_000)).kind, 'ignore');
});

test('an unanswered reservation should cancel the order and release whatever arrives later', () => {
  const decision = change(onStepDeadline(placed, 'RESERVE_STOCK', contextAt(60_000)));
  assert.deepEqual(
    decision.starts.map((start) => start.step),
    ['RELEASE_STOCK'],
  );
  const released = run(sagaAfter(placed, decision), { type: 'ReservationReleased' });
  assert.equal(released.orderStatus, 'CANCELLED');
  // The release overtook the reservation (different topics): the late reservation is released again.
  const late = change(onReply(released, reserved, contextAt(61_000)));
  assert.equal(late.releaseStray, true);
  assert.equal(late.state, 'CANCELLED');
  assert.deepEqual(late.starts, []);
});

test('a compensation unanswered after every attempt should park the saga until an operator retries it', () => {
  let saga = run(charging, declined);
  for (let attempt = 1; attempt < settings.maxSettlementAttempts; attempt++) {
    const due = saga.openSteps[0]?.deadlineAt ?? T0;
    const decision = change(onStepDeadline(saga, 'RELEASE_STOCK', contextAt(due.getTime() - T0.getTime())));
    assert.deepEqual(decision.starts[0]?.deadlineAt, settlementDeadline(due, settings, attempt + 1));
    saga = sagaAfter(saga, decision);
  }
  const due = saga.openSteps[0]?.deadlineAt ?? T0;
  const parked = sagaAfter(
    saga,
    change(onStepDeadline(saga, 'RELEASE_STOCK', contextAt(due.getTime() - T0.getTime()))),
  );
  assert.equal(parked.state, 'COMPENSATION_FAILED');
  assert.equal(parked.resumeState, 'CANCELLING');
  assert.equal(parked.openSteps[0]?.deadlineAt, undefined, 'no more automatic attempts');
  assert.equal(onStepDeadline(parked, 'RELEASE_STOCK', contextAt(10_000_000)).kind, 'ignore');

  const retried = change(onOperatorRetry(parked, contextAt(100_000)));
  assert.equal(retried.state, 'CANCELLING');
  assert.equal(retried.fields.operatorRetries, 1);
  assert.deepEqual(
    retried.starts.map((start) => start.step),
    ['RELEASE_STOCK'],
  );
  assert.equal(onOperatorRetry(sagaAfter(parked, retried), contextAt(0)).kind, 'reject');
  // A late answer to the parked step completes the saga without an operator.
  const healed = change(onReply(parked, { type: 'ReservationReleased' }, contextAt(0)));
  assert.equal(healed.state, 'CANCELLED');
  assert.equal(healed.fields.resumeState, null);
});

test('backoff of re-sent settlement steps should double up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((attempt) => settlementDeadline(T0, settings, attempt).getTime() - T0.getTime()),
    [1_000, 2_000, 4_000, 8_000, 8_000, 8_000],
  );
});
