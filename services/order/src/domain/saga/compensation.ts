/**
 * Undoing an order: the reasons it is cancelled for, starting the compensations (release the stock, refund
 * the payment), and cancelling the order once every one of them has answered.
 */
import type { CancelReason } from '../order.ts';
import { change } from './saga-change.ts';
import type { DecisionContext, SagaChange, SagaFieldChanges, SagaSnapshot, SagaStep } from './saga-model.ts';
import { settlementDeadline } from './saga-timing.ts';

export const CUSTOMER_CANCELLED: CancelReason = {
  code: 'CUSTOMER_CANCELLED',
  message: 'You cancelled this order. Anything you were charged is refunded.',
};

export const PROCESSING_TIMEOUT: CancelReason = {
  code: 'PROCESSING_TIMEOUT',
  message: 'We could not complete your order in time. Anything you were charged is refunded.',
};

/** A step given up: the customer's own cancellation, when they asked for one meanwhile, else a timeout. */
export function timeoutReason(saga: SagaSnapshot): CancelReason {
  return saga.cancelRequested ? CUSTOMER_CANCELLED : PROCESSING_TIMEOUT;
}

/** Starts compensation: the listed steps go out, the order is cancelled once all of them answered. */
export function compensate(
  saga: SagaSnapshot,
  context: DecisionContext,
  input: {
    reason: CancelReason;
    steps: readonly ('RELEASE_STOCK' | 'REFUND_PAYMENT')[];
    closes?: SagaChange['closes'];
    fields?: SagaFieldChanges;
  },
): SagaChange {
  const refunding = input.steps.includes('REFUND_PAYMENT');
  return change(saga, {
    state: 'CANCELLING',
    closes: input.closes ?? [],
    fields: {
      ...input.fields,
      pendingCancelReason: input.reason,
      ...(refunding && saga.refundId === undefined ? { refundId: context.newId() } : {}),
    },
    starts: input.steps.map((step) => ({ step, deadlineAt: settlementDeadline(context.now, context.settings, 1) })),
  });
}

/**
 * After a compensation answered: CANCELLED when none is still open (or parked), else unchanged. An order
 * that was already CANCELLED (a stray capture refunded after the fact) is not announced a second time.
 */
export function afterCompensationReply(
  saga: SagaSnapshot,
  answered: SagaStep,
  fields: SagaFieldChanges = {},
): SagaChange {
  const stillOpen = saga.openSteps.some(
    (open) => open.step !== answered && (open.step === 'RELEASE_STOCK' || open.step === 'REFUND_PAYMENT'),
  );
  const closes = [{ step: answered, status: 'SUCCEEDED' as const }];
  if (stillOpen) return change(saga, { closes, fields });
  const reason = saga.pendingCancelReason ?? PROCESSING_TIMEOUT;
  return change(saga, {
    state: 'CANCELLED',
    orderStatus: 'CANCELLED',
    closes,
    fields: { ...fields, resumeState: null },
    ...(saga.orderStatus === 'CANCELLED' ? {} : { outcome: { type: 'OrderCancelled', reason } }),
  });
}
