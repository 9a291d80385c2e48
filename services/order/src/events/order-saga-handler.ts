/**
 * The `orderSaga` consumer: Inventory's and Payment's replies drive each order's saga, a fetched batch at a
 * time.
 *
 * Runs inside the consumer runner's transaction, which has already recorded the batch's events in the inbox
 * (a redelivered event, same event id, never reaches this code); so the sagas' changes, their commands and
 * outcome events (outbox) commit with the inbox rows.
 *
 * Set-based: the sagas of every reply in the batch are locked with one statement, in order id order (two
 * batches over overlapping sagas wait for each other, never deadlock), and their open steps read with a
 * second one; then each reply is decided in memory, in batch order, on its saga as the earlier replies of
 * the batch left it (two replies for one saga apply one after the other, exactly as in two transactions);
 * then everything, outbox rows included, is written with one set-based statement (saga-effects.ts).
 *
 * A reply acts only on the step attempt open for it (domain/order-saga.ts). A duplicate with a new event id
 * (a service answered a re-sent command again), a late reply after the saga moved on, or replies arriving
 * out of order change nothing; they are still acknowledged (inbox, offset) so they are not redelivered
 * forever, and counted in `order_saga_ignored_replies_total`.
 *
 * A reply that can never apply (a reservation of other lines, a payment or refund id this saga never
 * used, an order that does not exist) is rejected with its ORD_ code: the runner dead-letters it, visibly
 * (acknowledging it would silently drop a statement about money or stock), and commits the rest.
 */
import type { DecodedEvent } from '@shop/contracts';
import type { Rejection } from '@shop/platform/consume/types';
import type { EventBatchHandler, EventBatchItem } from '@shop/platform/events/catalog-consumer';
import { lockSagas } from '../db/order-repository.ts';
import { onReply, type SagaReply } from '../domain/order-saga.ts';
import { orderError } from '../errors.ts';
import { recordIgnored, type SagaEffectsDependencies, SagaWriteSet } from './saga-effects.ts';

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
        details: { eventType: event.type },
      });
  }
}

function orderIdOf(event: DecodedEvent): string {
  const payload = event.payload as { orderId?: unknown };
  if (typeof payload.orderId !== 'string') {
    throw orderError('ORD_UNEXPECTED_EVENT', `${event.type} carries no order id`, {
      details: { eventType: event.type },
    });
  }
  return payload.orderId.toLowerCase();
}

interface ParsedReply {
  readonly item: EventBatchItem;
  readonly reply: SagaReply;
  readonly orderId: string;
}

export function createOrderSagaHandler(dependencies: OrderSagaHandlerDependencies): EventBatchHandler {
  const now = dependencies.now ?? (() => new Date());
  const newId = dependencies.newId ?? (() => crypto.randomUUID());
  return async function handleOrderSagaBatch(items, { client, logger }) {
    const rejected: Rejection[] = [];
    const parsed: ParsedReply[] = [];
    for (const item of items) {
      try {
        parsed.push({ item, reply: toReply(item.event), orderId: orderIdOf(item.event) });
      } catch (error) {
        rejected.push({ index: item.index, error });
      }
    }
    const locked = await lockSagas(
      client,
      parsed.map((reply) => reply.orderId),
    );
    const writes = new SagaWriteSet(dependencies, logger);
    for (const { item, reply, orderId } of parsed) {
      const { event, meta } = item;
      const saga = writes.current(orderId) ?? locked.get(orderId);
      if (saga === undefined) {
        // OrderPlaced commits with its order, so a reply cannot precede it: this order is not ours.
        const error = orderError('ORD_UNKNOWN_ORDER', `${event.type} for order ${orderId}, which does not exist`, {
          details: { orderId },
        });
        rejected.push({ index: item.index, error });
        continue;
      }
      try {
        const decision = onReply(saga, reply, { now: now(), settings: dependencies.settings, newId });
        switch (decision.kind) {
          case 'reject':
            rejected.push({
              index: item.index,
              error: orderError(decision.code, `${decision.message} (order ${orderId})`, {
                details: { orderId, eventType: event.type },
              }),
            });
            break;
          case 'ignore':
            recordIgnored(dependencies, decision, { orderId, type: event.type, logger });
            break;
          case 'change':
            writes.apply(saga, decision, meta);
            break;
        }
      } catch (error) {
        // No I/O happens here (decisions and encoding are in memory) and `apply` is atomic: an item that
        // failed here failed on its own, had no effect, and is refused alone.
        rejected.push({ index: item.index, error });
      }
    }
    await writes.flush(client);
    rejected.sort((a, b) => a.index - b.index);
    return rejected.length === 0 ? undefined : { rejected };
  };
}
