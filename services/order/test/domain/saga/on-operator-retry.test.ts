/** Parking a saga whose compensation is never answered, and the operator's retry (onOperatorRetry). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onOperatorRetry } from '../../../src/domain/saga/on-operator-retry.ts';
import { onReply } from '../../../src/domain/saga/on-reply.ts';
import { onStepDeadline } from '../../../src/domain/saga/on-step-deadline.ts';
import { sagaAfter } from '../../../src/domain/saga/saga-change.ts';
import { settlementDeadline } from '../../../src/domain/saga/saga-timing.ts';
import { change, charging, contextAt, declined, run, settings, T0 } from './saga-snapshots.ts';

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
