/**
 * The `orderSaga` consumer: turns a fetched batch of Inventory's and Payment's replies into saga replies
 * and hands them to the reply use case (app/handle-saga-replies.ts), inside the consumer runner's
 * transaction. A record that is not a reply the saga can act on (a type not on its topics, no order id) is
 * refused here with ORD_UNEXPECTED_EVENT; everything else is the use case's.
 */
import type { DecodedEvent } from '@shop/contracts';
import type { EventBatchHandler } from '@shop/platform';
import { handleSagaReplies, type RefusedReply, type SagaReplyInput } from '../app/handle-saga-replies.ts';
import type { SagaDependencies } from '../app/saga-dependencies.ts';
import type { SagaReply } from '../domain/saga/saga-model.ts';
import { orderError } from '../errors.ts';

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

export function createOrderSagaHandler(dependencies: SagaDependencies): EventBatchHandler {
  return async function handleOrderSagaBatch(items, transaction) {
    const refused: RefusedReply[] = [];
    const replies: SagaReplyInput[] = [];
    for (const item of items) {
      try {
        const reply = toReply(item.event);
        replies.push({ index: item.index, orderId: orderIdOf(item.event), reply, cause: item.meta });
      } catch (error) {
        refused.push({ index: item.index, error });
      }
    }
    refused.push(...(await handleSagaReplies(transaction, dependencies, replies)));
    refused.sort((a, b) => a.index - b.index);
    return refused.length === 0 ? undefined : { rejected: refused };
  };
}
