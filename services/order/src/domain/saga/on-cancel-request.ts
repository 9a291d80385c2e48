/** The customer's `POST /orders/{id}/cancel`. */
import { CUSTOMER_CANCELLED, compensate } from './compensation.ts';
import { change, ignore, openStep } from './saga-change.ts';
import type { DecisionContext, SagaDecision, SagaSnapshot } from './saga-model.ts';

export function onCancelRequest(saga: SagaSnapshot, context: DecisionContext): SagaDecision {
  switch (saga.state) {
    case 'RESERVING':
    case 'CHARGING':
      // A reply is on its way; deciding now would race it (a release could overtake the reservation, a
      // refund the capture). The next reply applies the cancellation.
      if (saga.cancelRequested) return ignore(saga, false);
      return change(saga, { fields: { cancelRequested: true } });
    case 'CONFIRMED': {
      const commit = openStep(saga, 'COMMIT_STOCK');
      // Inventory ignores a commit that arrives after the release (the reservation only moves forward),
      // so an unanswered commit is abandoned rather than waited for.
      return compensate(saga, context, {
        reason: CUSTOMER_CANCELLED,
        steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
        closes: commit === undefined ? [] : [{ step: 'COMMIT_STOCK', status: 'ABANDONED' }],
        fields: { cancelRequested: true },
      });
    }
    case 'CANCELLING':
    case 'CANCELLED':
      return ignore(saga, false);
    case 'COMPENSATION_FAILED':
      if (saga.resumeState === 'CANCELLING') return ignore(saga, false);
      return {
        kind: 'reject',
        code: 'ORD_SAGA_NEEDS_OPERATOR',
        message: 'The order is waiting for an operator; it cannot be cancelled until its saga is retried',
      };
  }
}
