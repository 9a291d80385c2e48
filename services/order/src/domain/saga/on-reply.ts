/**
 * What a reply from Inventory or Payment does. One function per reply type; each first finds the attempt the
 * reply answers (a reply acts only on the attempt open for it: a duplicate or late one changes nothing), then
 * decides what follows.
 */
import { itemsUnavailableReason } from '../cancel-reason.ts';
import type { CancelReason } from '../order.ts';
import { sameLines } from '../order-lines.ts';
import { afterCompensationReply, CUSTOMER_CANCELLED, compensate, PROCESSING_TIMEOUT } from './compensation.ts';
import { change, ignore, openStep } from './saga-change.ts';
import {
  CANCELLED_SIDE,
  type DecisionContext,
  type SagaDecision,
  type SagaReject,
  type SagaReply,
  type SagaSnapshot,
} from './saga-model.ts';
import { after, chargeDeadline, settlementDeadline } from './saga-timing.ts';

/** The decline code the Payment Service uses when a charge arrived after its expiry. */
const CHARGE_EXPIRED = 'CHARGE_EXPIRED';

type ReplyOf<T extends SagaReply['type']> = Extract<SagaReply, { type: T }>;

export function onReply(saga: SagaSnapshot, reply: SagaReply, context: DecisionContext): SagaDecision {
  switch (reply.type) {
    case 'InventoryReserved':
      return onInventoryReserved(saga, reply, context);
    case 'InventoryFailed':
      return onInventoryFailed(saga, reply);
    case 'PaymentCaptured':
      return onPaymentCaptured(saga, reply, context);
    case 'PaymentDeclined':
      return onPaymentDeclined(saga, reply, context);
    case 'ReservationCommitted':
      return onReservationCommitted(saga);
    case 'ReservationReleased':
      return openStep(saga, 'RELEASE_STOCK') === undefined
        ? ignore(saga, false)
        : afterCompensationReply(saga, 'RELEASE_STOCK');
    case 'PaymentRefunded':
      return onPaymentRefunded(saga, reply);
  }
}

/** The stock is reserved: charge for it, or release it again when the customer cancelled meanwhile. */
function onInventoryReserved(
  saga: SagaSnapshot,
  reply: ReplyOf<'InventoryReserved'>,
  context: DecisionContext,
): SagaDecision {
  if (openStep(saga, 'RESERVE_STOCK') === undefined) {
    // The saga gave up on the reservation (or was cancelled) and its release may have overtaken the
    // reservation itself (they travel on different topics): release again. Releasing is idempotent.
    if (CANCELLED_SIDE.includes(saga.state)) return change(saga, { releaseStray: true });
    return ignore(saga, false);
  }
  // Reservations are all or nothing and quote every ordered line; anything else is for another order
  // (or a different version of it) and charging for it would bill what the customer did not order.
  if (!sameLines(saga.lines, reply.lines)) {
    return {
      kind: 'reject',
      code: 'ORD_RESERVATION_MISMATCH',
      message: 'InventoryReserved does not reserve exactly the ordered lines',
    };
  }
  const closes = [{ step: 'RESERVE_STOCK' as const, status: 'SUCCEEDED' as const }];
  if (saga.cancelRequested) {
    return compensate(saga, context, {
      reason: CUSTOMER_CANCELLED,
      steps: ['RELEASE_STOCK'],
      closes,
      fields: { total: reply.total },
    });
  }
  const expiresAt = after(context.now, context.settings.chargeExpiryMs);
  return change(saga, {
    state: 'CHARGING',
    closes,
    fields: { total: reply.total, paymentId: context.newId(), chargeExpiresAt: expiresAt },
    starts: [{ step: 'CHARGE_PAYMENT', deadlineAt: chargeDeadline(context.now, context.settings, expiresAt, 1) }],
  });
}

/** Nothing was reserved: the order is cancelled at once (there is nothing to compensate). */
function onInventoryFailed(saga: SagaSnapshot, reply: ReplyOf<'InventoryFailed'>): SagaDecision {
  if (openStep(saga, 'RESERVE_STOCK') === undefined) {
    return ignore(saga, saga.state === 'CHARGING' || saga.state === 'CONFIRMED');
  }
  const reason = saga.cancelRequested ? CUSTOMER_CANCELLED : itemsUnavailableReason(reply.failures);
  return change(saga, {
    state: 'CANCELLED',
    orderStatus: 'CANCELLED',
    closes: [{ step: 'RESERVE_STOCK', status: 'FAILED' }],
    fields: { pendingCancelReason: reason },
    outcome: { type: 'OrderCancelled', reason },
  });
}

/** The money is taken: confirm and commit the stock, or refund when the customer cancelled meanwhile. */
function onPaymentCaptured(
  saga: SagaSnapshot,
  reply: ReplyOf<'PaymentCaptured'>,
  context: DecisionContext,
): SagaDecision {
  if (saga.paymentId !== reply.paymentId) return paymentMismatch(reply.type);
  if (openStep(saga, 'CHARGE_PAYMENT') === undefined) return onLateCapture(saga, reply, context);
  const closes = [{ step: 'CHARGE_PAYMENT' as const, status: 'SUCCEEDED' as const }];
  if (saga.cancelRequested) {
    return compensate(saga, context, {
      reason: CUSTOMER_CANCELLED,
      steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
      closes,
      fields: { captured: reply.amount },
    });
  }
  return change(saga, {
    state: 'CONFIRMED',
    orderStatus: 'CONFIRMED',
    closes,
    fields: { captured: reply.amount },
    starts: [{ step: 'COMMIT_STOCK', deadlineAt: settlementDeadline(context.now, context.settings, 1) }],
    outcome: { type: 'OrderConfirmed' },
  });
}

/**
 * Captured after the saga gave up on the charge. The refund sent then covers it (same partition, after the
 * charge expired); only a saga that never started one must start it now.
 */
function onLateCapture(saga: SagaSnapshot, reply: ReplyOf<'PaymentCaptured'>, context: DecisionContext): SagaDecision {
  if (CANCELLED_SIDE.includes(saga.state) && saga.refundId === undefined) {
    return compensate(saga, context, {
      reason: saga.pendingCancelReason ?? PROCESSING_TIMEOUT,
      steps: ['REFUND_PAYMENT'],
      fields: { captured: reply.amount },
    });
  }
  return ignore(saga, CANCELLED_SIDE.includes(saga.state));
}

/** No money was taken: release the stock, and cancel once it is back. */
function onPaymentDeclined(
  saga: SagaSnapshot,
  reply: ReplyOf<'PaymentDeclined'>,
  context: DecisionContext,
): SagaDecision {
  if (saga.paymentId !== reply.paymentId) return paymentMismatch(reply.type);
  if (openStep(saga, 'CHARGE_PAYMENT') === undefined) return ignore(saga, saga.state === 'CONFIRMED');
  const reason: CancelReason = saga.cancelRequested
    ? CUSTOMER_CANCELLED
    : reply.reason.code === CHARGE_EXPIRED
      ? PROCESSING_TIMEOUT
      : { code: 'PAYMENT_DECLINED', message: reply.reason.message };
  return compensate(saga, context, {
    reason,
    steps: ['RELEASE_STOCK'],
    closes: [{ step: 'CHARGE_PAYMENT', status: 'FAILED' }],
  });
}

function onReservationCommitted(saga: SagaSnapshot): SagaDecision {
  if (openStep(saga, 'COMMIT_STOCK') === undefined) return ignore(saga, false);
  return change(saga, {
    // A commit parked in COMPENSATION_FAILED that finally answered: the saga is whole again.
    ...(saga.state === 'COMPENSATION_FAILED'
      ? { state: saga.resumeState ?? 'CONFIRMED', fields: { resumeState: null } }
      : {}),
    closes: [{ step: 'COMMIT_STOCK', status: 'SUCCEEDED' }],
  });
}

function onPaymentRefunded(saga: SagaSnapshot, reply: ReplyOf<'PaymentRefunded'>): SagaDecision {
  if (saga.refundId !== reply.refundId) {
    return {
      kind: 'reject',
      code: 'ORD_PAYMENT_MISMATCH',
      message: 'PaymentRefunded names a refund this saga did not ask for',
    };
  }
  if (openStep(saga, 'REFUND_PAYMENT') === undefined) return ignore(saga, false);
  return afterCompensationReply(saga, 'REFUND_PAYMENT', { refunded: reply.amount });
}

function paymentMismatch(type: string): SagaReject {
  return { kind: 'reject', code: 'ORD_PAYMENT_MISMATCH', message: `${type} names a payment this saga did not make` };
}
