/**
 * Building decisions, and folding a change onto the saga (`sagaAfter`): what a change's commands and
 * outcome are built from, and what the next input of the same saga is decided on.
 */
import type { OpenStep, SagaChange, SagaIgnore, SagaSnapshot, SagaStep } from './saga-model.ts';

/** The attempt of `step` that is open, if any. */
export function openStep(saga: SagaSnapshot, step: SagaStep): OpenStep | undefined {
  return saga.openSteps.find((open) => open.step === step);
}

/** A change of `saga`: every part not given stays as it is (state, status) or empty (lists). */
export function change(saga: SagaSnapshot, parts: Partial<Omit<SagaChange, 'kind'>>): SagaChange {
  return {
    kind: 'change',
    state: parts.state ?? saga.state,
    orderStatus: parts.orderStatus ?? saga.orderStatus,
    fields: parts.fields ?? {},
    closes: parts.closes ?? [],
    starts: parts.starts ?? [],
    parks: parts.parks ?? [],
    ...(parts.outcome === undefined ? {} : { outcome: parts.outcome }),
    ...(parts.releaseStray === undefined ? {} : { releaseStray: parts.releaseStray }),
  };
}

export function ignore(saga: SagaSnapshot, contradicts: boolean): SagaIgnore {
  return { kind: 'ignore', state: saga.state, contradicts };
}

/**
 * The saga after `change` (open steps included). Generic so that a caller's richer snapshot (the locked
 * saga with its contact) keeps its extra fields.
 */
export function sagaAfter<T extends SagaSnapshot>(saga: T, change: SagaChange): T {
  const { fields } = change;
  const { resumeState: _previous, ...rest } = saga;
  const resumeState = fields.resumeState === undefined ? saga.resumeState : (fields.resumeState ?? undefined);
  const closed = new Set(change.closes.map((close) => close.step));
  const parked = new Set(change.parks);
  const openSteps: OpenStep[] = [
    ...saga.openSteps
      .filter((open) => !closed.has(open.step))
      .map((open) => (parked.has(open.step) ? { step: open.step, attempt: open.attempt } : open)),
    ...change.starts.map((start) => {
      const previous = saga.openSteps.find((open) => open.step === start.step)?.attempt ?? 0;
      return { step: start.step, attempt: previous + 1, deadlineAt: start.deadlineAt };
    }),
  ];
  return {
    ...rest,
    state: change.state,
    orderStatus: change.orderStatus,
    ...(fields.total === undefined ? {} : { total: fields.total }),
    ...(fields.paymentId === undefined ? {} : { paymentId: fields.paymentId }),
    ...(fields.chargeExpiresAt === undefined ? {} : { chargeExpiresAt: fields.chargeExpiresAt }),
    ...(fields.captured === undefined ? {} : { captured: fields.captured }),
    ...(fields.refundId === undefined ? {} : { refundId: fields.refundId }),
    ...(fields.refunded === undefined ? {} : { refunded: fields.refunded }),
    ...(fields.cancelRequested === undefined ? {} : { cancelRequested: true }),
    ...(fields.pendingCancelReason === undefined ? {} : { pendingCancelReason: fields.pendingCancelReason }),
    ...(resumeState === undefined ? {} : { resumeState }),
    ...(fields.operatorRetries === undefined ? {} : { operatorRetries: fields.operatorRetries }),
    openSteps,
    // Every SagaSnapshot field is set above; T's extra fields (e.g. the contact) are carried in `rest`.
  } as unknown as T;
}
