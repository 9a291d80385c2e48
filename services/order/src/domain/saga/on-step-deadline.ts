/** What an overdue step does: re-send it, give it up (compensate), or park the saga for an operator. */
import { compensate, timeoutReason } from './compensation.ts';
import { change, ignore, openStep } from './saga-change.ts';
import type { DecisionContext, SagaDecision, SagaSnapshot, SagaStep } from './saga-model.ts';
import { chargeDeadline, chargeGiveUpAt, settlementDeadline } from './saga-timing.ts';

/**
 * Decides on `step` of `saga` being overdue at `context.now`. Re-checked here under the saga's lock: an
 * attempt answered, re-sent or parked since it was found overdue (or not yet due) is ignored.
 */
export function onStepDeadline(saga: SagaSnapshot, step: SagaStep, context: DecisionContext): SagaDecision {
  const open = openStep(saga, step);
  if (open?.deadlineAt === undefined || open.deadlineAt.getTime() > context.now.getTime()) return ignore(saga, false);
  const { now, settings } = context;
  switch (step) {
    case 'RESERVE_STOCK':
      // OrderPlaced is an event Inventory reacts to on its own (choreography); there is no command to
      // re-send. Give up: release whatever may get reserved, and cancel.
      return compensate(saga, context, {
        reason: timeoutReason(saga),
        steps: ['RELEASE_STOCK'],
        closes: [{ step, status: 'TIMED_OUT' }],
      });
    case 'CHARGE_PAYMENT': {
      const expiresAt = saga.chargeExpiresAt ?? now;
      if (now.getTime() < chargeGiveUpAt(expiresAt).getTime()) {
        return change(saga, {
          closes: [{ step, status: 'TIMED_OUT' }],
          starts: [{ step, deadlineAt: chargeDeadline(now, settings, expiresAt, open.attempt + 1) }],
        });
      }
      // Past the expiry nothing more is captured; a capture made before is refunded (the Payment Service
      // refunds at most what it captured, zero when nothing was).
      return compensate(saga, context, {
        reason: timeoutReason(saga),
        steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
        closes: [{ step, status: 'ABANDONED' }],
      });
    }
    case 'COMMIT_STOCK':
    case 'RELEASE_STOCK':
    case 'REFUND_PAYMENT': {
      const allowed = settings.maxSettlementAttempts * (1 + saga.operatorRetries);
      if (open.attempt < allowed) {
        return change(saga, {
          closes: [{ step, status: 'TIMED_OUT' }],
          starts: [{ step, deadlineAt: settlementDeadline(now, settings, open.attempt + 1) }],
        });
      }
      return change(saga, {
        state: 'COMPENSATION_FAILED',
        parks: [step],
        ...(saga.state === 'COMPENSATION_FAILED' ? {} : { fields: { resumeState: saga.state } }),
      });
    }
  }
}
