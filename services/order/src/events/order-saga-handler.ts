/**
 * The `orderSaga` consumer: Inventory's and Payment's replies drive each order's saga.
 *
 * Runs inside the consumer runner's transaction, which has already recorded the event in the inbox; so
 * the saga's change, its commands and outcome event (outbox) and the status notification commit with the
 * inbox row, and a redelivered event (same event id) is skipped before reaching this code.
 *
 * A reply acts only on the step attempt open for it (domain/order-saga.ts). A duplicate with a new event id
 * (a service answered a re-sent command again), a late reply after the saga moved on, or replies arriving
 * out of order change nothing; they are still acknowledged (inbox, offset) so they are not redelivered
 * forever, and counted in `order_saga_ignored_replies_total`. The saga row is locked (`FOR UPDATE`) before
 * the decision, so two copies handled at once (the main consumer and a retry tier) are decided one after
 * the other and the second sees the first's result.
 *
 * A reply that can never apply (a reservation of other lines, a payment or refund id this saga never
 * used, an order that does not exist) is dead-lettered, visibly: acknowledging it would silently drop a
 * statement about money or stock.
 */
import type { DecodedEvent } from '@shop/contracts';
import type { EventHandlerContext } from '@shop/platform/events/catalog-consumer';
import { lockSaga } from '../db/order-repository.ts';
import { onReply, type SagaReply } from '../domain/order-saga.ts';
import { orderError } from '../errors.ts';
import { applySagaDecision, recordIgnored, type SagaEffectsDependencies } from './saga-effects.ts';

export type OrderSagaHandlerDependencies = SagaEffectsDependencies & {
  /** The clock the saga's deadlines are computed from. Default: the system clock. */
  now?: () => Date;
  /** New payment and refund ids. Default: random UUIDs. */
  newId?: () => string;
};

function toReply(event: DecodedEvent): SagaReply {
  switch (event.type) {
    case 'InventoryReserved':
      return { type: event.type, lines: event.payload.lines, total: event.payload.total };
    case 'InventoryFailed':
      return { type: event.type, failures: event.payload.failures };
    case 'PaymentCaptured':
      return { type: event.type, paymentId: event.payload.paymentId, amount: event.payload.amount };
    case 'PaymentDeclined':
      return { type: event.type, paymentId: event.payload.paymentId, reason: event.payload.reason };
    case 'PaymentRefunded':
      return { type: event.type, refundId: event.payload.refundId, amount: event.payload.amount };
    case 'ReservationCommitted':
    case 'ReservationReleased':
      return { type: event.type };
    default:
      // Other types cannot appear on the saga's topics (the decoder checks type against topic).
      throw orderError('ORD_UNEXPECTED_EVENT', `${event.type} is not a reply the order saga consumes`, {
        eventType: event.type,
      });
  }
}

function orderIdOf(event: DecodedEvent): string {
  const payload = event.payload as { orderId?: unknown };
  if (typeof payload.orderId !== 'string') {
    throw orderError('ORD_UNEXPECTED_EVENT', `${event.type} carries no order id`, { eventType: event.type });
  }
  return payload.orderId;
}

export function createOrderSagaHandler(dependencies: OrderSagaHandlerDependencies) {
  const now = dependencies.now ?? (() => new Date());
  const newId = dependencies.newId ?? (() => crypto.randomUUID());
  return async function handleOrderSagaEvent(event: DecodedEvent, context: EventHandlerContext): Promise<void> {
    const reply = toReply(event);
    const orderId = orderIdOf(event);
    const { client, logger, meta } = context;
    const saga = await lockSaga(client, orderId);
    if (saga === undefined) {
      // OrderPlaced commits with its order, so a reply cannot precede it: this order is not ours.
      throw orderError('ORD_UNKNOWN_ORDER', `${event.type} for order ${orderId}, which does not exist`, { orderId });
    }
    const decision = onReply(saga, reply, { now: now(), settings: dependencies.settings, newId });
    switch (decision.kind) {
      case 'reject':
        throw orderError(decision.code, `${decision.message} (order ${orderId})`, { orderId, eventType: event.type });
      case 'ignore':
        recordIgnored(dependencies, decision, { orderId, type: event.type, logger });
        return;
      case 'change':
        await applySagaDecision(dependencies, client, saga, decision, { cause: meta, logger });
        return;
    }
  };
}
