/**
 * The `orderSaga` consumer: Inventory's and (from issue 6) Payment's replies drive each order's saga.
 *
 * Runs inside the consumer runner's transaction, which has already recorded the event in the inbox; so
 * the saga's change, its outcome event (outbox) and the status notification commit with the inbox row,
 * and a redelivered event (same event id) is skipped before reaching this code.
 *
 * Only a PENDING order settles. A reply for a step no longer in progress (a second InventoryReserved with
 * a new event id, because Inventory answered a redelivered OrderPlaced again; a late reply) changes
 * nothing and publishes nothing. That is safe because:
 * - Inventory reserves all or nothing and keys the reservation by order id, so for one order there is one
 *   reservation decision; a repeated reply repeats it, and the first copy already settled the order and
 *   told the customer.
 * - The saga row is locked (`FOR UPDATE`) before the decision, so two copies handled at once (the main
 *   consumer and a retry tier) are decided one after the other and the second sees the first's result.
 * - The reply is still acknowledged (inbox, offset), so it is not redelivered forever; the metric
 *   `order_saga_ignored_replies_total` counts it, and a contradicting one (InventoryReserved for a
 *   CANCELLED order: stock that nobody will release) is logged as a warning. Today no path cancels an
 *   order before its reservation answer, so a contradiction means Inventory broke its contract; the payment
 *   saga (issue 6), which adds cancellation and timeouts, answers it with ReleaseReservation instead.
 */
import type { DecodedEvent } from '@shop/contracts';
import { platformError } from '@shop/platform/errors';
import type { EventHandlerContext } from '@shop/platform/events/catalog-consumer';
import type { EventWriter } from '@shop/platform/events/event-writer';
import { applyTransition, type LockedSaga, lockSaga } from '../db/order-repository.ts';
import { notifyStatusChanged } from '../db/order-status-listener.ts';
import { onReservationReply, type ReservationReply, type SagaTransition } from '../domain/order-saga.ts';
import { orderError } from '../errors.ts';
import { type OrderMetrics, recordSettlement } from '../metrics.ts';

export interface OrderSagaHandlerDependencies {
  events: EventWriter;
  metrics: OrderMetrics;
}

export function createOrderSagaHandler(dependencies: OrderSagaHandlerDependencies) {
  return async function handleOrderSagaEvent(event: DecodedEvent, context: EventHandlerContext): Promise<void> {
    switch (event.type) {
      case 'InventoryReserved':
      case 'InventoryFailed':
        return handleReservationReply(dependencies, event, context);
      // Replies to commands this version never sends (ChargePayment, RefundPayment, CommitReservation,
      // ReleaseReservation arrive with the payment saga, issue 6). One arriving now is for a saga this
      // version cannot run: dead-letter it (non-retryable) rather than acknowledge and drop it, so it is
      // visible and can be replayed once a version that understands it is deployed. Ignoring it would
      // silently lose a reply about money or stock.
      case 'PaymentCaptured':
      case 'PaymentDeclined':
      case 'PaymentRefunded':
      case 'ReservationCommitted':
      case 'ReservationReleased':
        throw orderError('ORD_UNEXPECTED_EVENT', `${event.type} is not handled before the payment saga (issue 6)`, {
          eventType: event.type,
          orderId: event.payload.orderId,
        });
      default:
        // Other types cannot appear on the saga's topics (the decoder checks type against topic).
        throw orderError('ORD_UNEXPECTED_EVENT', `${event.type} is not a reply the order saga consumes`, {
          eventType: event.type,
        });
    }
  };
}

type ReservationEvent = Extract<DecodedEvent, { type: 'InventoryReserved' | 'InventoryFailed' }>;

function toReply(event: ReservationEvent): ReservationReply {
  return event.type === 'InventoryReserved'
    ? { type: event.type, lines: event.payload.lines, total: event.payload.total }
    : { type: event.type, failures: event.payload.failures };
}

async function handleReservationReply(
  dependencies: OrderSagaHandlerDependencies,
  event: ReservationEvent,
  context: EventHandlerContext,
): Promise<void> {
  const { client, logger } = context;
  const orderId = event.payload.orderId;
  const saga = await lockSaga(client, orderId);
  if (saga === undefined) {
    // OrderPlaced commits with its order, so a reply cannot precede it: this order is not ours.
    throw orderError('ORD_UNKNOWN_ORDER', `${event.type} for order ${orderId}, which does not exist`, { orderId });
  }
  const decision = onReservationReply(saga, toReply(event));
  switch (decision.kind) {
    case 'reject':
      throw orderError(decision.code, `${decision.message} (order ${orderId})`, { orderId });
    case 'ignore': {
      dependencies.metrics.ignoredReplies.inc({ type: event.type, contradicts: String(decision.contradicts) });
      const log = { orderId, eventType: event.type, sagaState: decision.state };
      if (decision.contradicts) logger.warn(log, 'reply contradicts the settled order; ignored');
      else logger.info(log, 'duplicate or late reply for a settled order; ignored');
      return;
    }
    case 'transition':
      return applySagaTransition(dependencies, context, orderId, saga, decision);
  }
}

async function applySagaTransition(
  dependencies: OrderSagaHandlerDependencies,
  context: EventHandlerContext,
  orderId: string,
  saga: LockedSaga,
  transition: SagaTransition,
): Promise<void> {
  const { client, meta } = context;
  const { settledAfterSeconds } = await applyTransition(client, orderId, transition, meta.eventId);
  if (transition.orderStatus === 'CONFIRMED') {
    if (transition.total === undefined)
      throw platformError('PLT_UNEXPECTED', 'a confirmation without a total cannot be sent');
    await dependencies.events.append(client, {
      type: 'OrderConfirmed',
      payload: {
        orderId,
        contact: { ...saga.contact },
        lines: saga.lines.map((line) => ({ ...line })),
        total: transition.total,
      },
      causedBy: { cause: meta },
    });
  } else if (transition.orderStatus === 'CANCELLED') {
    if (transition.cancelReason === undefined)
      throw platformError('PLT_UNEXPECTED', 'a cancellation without a reason cannot be sent');
    await dependencies.events.append(client, {
      type: 'OrderCancelled',
      payload: { orderId, contact: { ...saga.contact }, reason: { ...transition.cancelReason } },
      causedBy: { cause: meta },
    });
  }
  // Delivered at commit to every instance's listener; long-polls on this order answer at once.
  await notifyStatusChanged(client, orderId);
  // Counted before the runner commits: a commit that then fails (rare) is retried and may count twice.
  if (transition.orderStatus !== 'PENDING' && settledAfterSeconds !== undefined) {
    recordSettlement(dependencies.metrics, transition.orderStatus, settledAfterSeconds);
  }
}
