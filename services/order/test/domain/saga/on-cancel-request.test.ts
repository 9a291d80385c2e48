/** The customer's cancellation (onCancelRequest). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onCancelRequest } from '../../../src/domain/saga/on-cancel-request.ts';
import { onReply } from '../../../src/domain/saga/on-reply.ts';
import { onStepDeadline } from '../../../src/domain/saga/on-step-deadline.ts';
import { sagaAfter } from '../../../src/domain/saga/saga-change.ts';
import { captured, change, charging, confirmed, contextAt, declined, open, run, total } from './saga-snapshots.ts';

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
