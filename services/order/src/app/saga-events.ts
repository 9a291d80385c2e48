/**
 * The events a saga change publishes, built from the saga as it is after the change: the command of each
 * started step, and the order's outcome. Encoded (and validated against their contracts) before anything is
 * written, so a change whose event would break its contract fails alone and writes nothing.
 */
import type { EventPayload } from '@shop/contracts';
import { type EncodedOutboxEvent, type EventCause, type EventWriter, platformError } from '@shop/platform';
import type { SagaChange, SagaStep } from '../domain/saga/saga-model.ts';
import type { LockedSaga } from '../domain/saga/saga-store.ts';

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw platformError('PLT_UNEXPECTED', `the saga has no ${what} for its command`);
  return value;
}

/** Encodes the command that starts `step` for the saga as it is after the change. */
export function encodeCommand(
  events: EventWriter,
  saga: LockedSaga,
  step: SagaStep,
  causedBy: EventCause,
): EncodedOutboxEvent {
  const orderId = saga.orderId;
  switch (step) {
    case 'CHARGE_PAYMENT':
      return events.encode({
        type: 'ChargePayment',
        payload: {
          orderId,
          paymentId: required(saga.paymentId, 'paymentId'),
          customerId: saga.customerId,
          amount: { ...required(saga.total, 'total') },
          expiresAt: required(saga.chargeExpiresAt, 'charge expiry').toISOString(),
        },
        causedBy,
      });
    case 'REFUND_PAYMENT':
      return events.encode({
        type: 'RefundPayment',
        payload: {
          orderId,
          paymentId: required(saga.paymentId, 'paymentId'),
          refundId: required(saga.refundId, 'refundId'),
          // At most what was captured; when the capture is unknown (the charge was given up), the total:
          // the Payment Service refunds only what it actually captured.
          amount: { ...(saga.captured ?? required(saga.total, 'total')) },
        },
        causedBy,
      });
    case 'COMMIT_STOCK':
      return events.encode({ type: 'CommitReservation', payload: { orderId }, causedBy });
    case 'RELEASE_STOCK':
      return events.encode({ type: 'ReleaseReservation', payload: { orderId }, causedBy });
    case 'RESERVE_STOCK':
      // Started only by OrderPlaced, when the order is placed; never re-sent (see onStepDeadline).
      throw platformError('PLT_UNEXPECTED', 'RESERVE_STOCK is started only by placing the order');
  }
}

export function encodeOutcome(
  events: EventWriter,
  saga: LockedSaga,
  outcome: NonNullable<SagaChange['outcome']>,
  causedBy: EventCause,
): EncodedOutboxEvent {
  const contact = { ...saga.contact };
  if (outcome.type === 'OrderConfirmed') {
    const payload: EventPayload<'OrderConfirmed'> = {
      orderId: saga.orderId,
      contact,
      lines: saga.lines.map((line) => ({ ...line })),
      total: { ...required(saga.total, 'total') },
    };
    return events.encode({ type: 'OrderConfirmed', payload, causedBy });
  }
  const refunded = saga.refunded !== undefined && saga.refunded.amountMinor > 0 ? { ...saga.refunded } : undefined;
  return events.encode({
    type: 'OrderCancelled',
    payload: {
      orderId: saga.orderId,
      contact,
      reason: { ...outcome.reason },
      ...(refunded === undefined ? {} : { refunded }),
    },
    causedBy,
  });
}
