/** What a reply does (onReply). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onReply } from '../../../src/domain/saga/on-reply.ts';
import { sagaAfter } from '../../../src/domain/saga/saga-change.ts';
import type { SagaReply, SagaSnapshot } from '../../../src/domain/saga/saga-model.ts';
import {
  at,
  captured,
  change,
  charging,
  confirmed,
  contextAt,
  declined,
  failed,
  open,
  placed,
  reserved,
  run,
  total,
} from './saga-snapshots.ts';

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
