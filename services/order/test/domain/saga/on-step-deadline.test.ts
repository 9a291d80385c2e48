/** What an overdue step does (onStepDeadline). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onReply } from '../../../src/domain/saga/on-reply.ts';
import { onStepDeadline } from '../../../src/domain/saga/on-step-deadline.ts';
import { sagaAfter } from '../../../src/domain/saga/saga-change.ts';
import { CHARGE_EXPIRY_SKEW_MARGIN_MS } from '../../../src/domain/saga/saga-timing.ts';
import { at, captured, change, charging, contextAt, placed, reserved, run } from './saga-snapshots.ts';

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
