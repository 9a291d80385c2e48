/** An operator's retry of a COMPENSATION_FAILED saga (`POST /sagas/{id}/retry`). */
import { change } from './saga-change.ts';
import type { DecisionContext, SagaDecision, SagaSnapshot } from './saga-model.ts';
import { settlementDeadline } from './saga-timing.ts';

/** Every parked step is sent again, with a fresh budget of attempts; the saga returns to where it parked. */
export function onOperatorRetry(saga: SagaSnapshot, context: DecisionContext): SagaDecision {
  if (saga.state !== 'COMPENSATION_FAILED') {
    return {
      kind: 'reject',
      code: 'ORD_SAGA_NOT_FAILED',
      message: `The saga is ${saga.state}, not COMPENSATION_FAILED`,
    };
  }
  const parked = saga.openSteps.filter((open) => open.deadlineAt === undefined);
  return change(saga, {
    state: saga.resumeState ?? 'CANCELLING',
    fields: { resumeState: null, operatorRetries: saga.operatorRetries + 1 },
    closes: parked.map((open) => ({ step: open.step, status: 'TIMED_OUT' as const })),
    starts: parked.map((open) => ({
      step: open.step,
      deadlineAt: settlementDeadline(context.now, context.settings, 1),
    })),
  });
}
