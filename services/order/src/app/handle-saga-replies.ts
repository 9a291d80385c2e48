/**
 * The reply use case: Inventory's and Payment's replies drive each order's saga, a fetched batch at a time,
 * inside the consumer's transaction (which has already recorded the batch's events in the inbox, so the
 * sagas' changes, their commands and outcome events commit with the inbox rows).
 *
 * A reply acts only on the step attempt open for it (domain/saga/on-reply.ts). A duplicate with a new event
 * id (a service answered a re-sent command again), a late reply after the saga moved on, or replies arriving
 * out of order change nothing; they are still acknowledged (inbox, offset) so they are not redelivered
 * forever, and counted in `order_saga_ignored_replies_total`.
 *
 * A reply that can never apply (a reservation of other lines, a payment or refund id this saga never used)
 * is refused with its ORD_ code, and so is one whose change failed on its own: the consumer dead-letters
 * those, visibly (acknowledging them would silently drop a statement about money or stock), and commits the
 * rest.
 *
 * A reply for an order that does not exist answers an OrderPlaced this service never wrote (OrderPlaced
 * commits with its order, so a reply cannot precede it): someone else wrote to the topic. Stock reserved for
 * it would stay reserved forever, so an InventoryReserved is answered with ReleaseReservation (in the batch's
 * transaction); the ReservationReleased that answers it, and an InventoryFailed (nothing is held), are
 * acknowledged. All of them are logged and counted in `order_saga_unknown_order_replies_total`. Any other
 * reply for an unknown order (a payment, a commit) is refused with ORD_UNKNOWN_ORDER.
 */
import type { EventMeta } from '@shop/contracts';
import type { Logger } from '@shop/platform';
import { onReply } from '../domain/saga/on-reply.ts';
import type { SagaIgnore, SagaReply } from '../domain/saga/saga-model.ts';
import { orderError } from '../errors.ts';
import type { SagaDependencies } from './saga-dependencies.ts';
import { type SagaTransaction, withLockedSagas } from './with-locked-sagas.ts';

/** A reply of the batch, as the consumer parsed it. */
export interface SagaReplyInput {
  /** Its position in the batch (what a refusal names). */
  readonly index: number;
  readonly orderId: string;
  readonly reply: SagaReply;
  /** The reply's event. */
  readonly cause: EventMeta;
}

/** A reply that must not be acknowledged, and why. */
export interface RefusedReply {
  readonly index: number;
  readonly error: unknown;
}

/** Handles the replies in batch order; returns the refused ones (the others are applied or ignored). */
export async function handleSagaReplies(
  transaction: SagaTransaction,
  dependencies: SagaDependencies,
  replies: readonly SagaReplyInput[],
): Promise<RefusedReply[]> {
  const outcomes = await withLockedSagas(
    transaction,
    dependencies,
    replies,
    (saga, input, context) => onReply(saga, input.reply, context),
    (input) => input.reply.type === 'InventoryReserved',
  );
  const refused: RefusedReply[] = [];
  outcomes.forEach((outcome, position) => {
    const input = replies[position];
    if (input === undefined) return;
    const { index, orderId, reply } = input;
    switch (outcome.kind) {
      case 'unknown-order':
        if (outcome.released || ACKNOWLEDGED_FOR_UNKNOWN_ORDERS.has(reply.type)) {
          recordUnknownOrder(
            dependencies,
            { orderId, type: reply.type, released: outcome.released },
            transaction.logger,
          );
          return;
        }
        refused.push({
          index,
          error: orderError('ORD_UNKNOWN_ORDER', `${reply.type} for order ${orderId}, which does not exist`, {
            details: { orderId },
          }),
        });
        return;
      case 'failed':
        refused.push({ index, error: outcome.error });
        return;
      case 'decided': {
        const { decision } = outcome;
        if (decision.kind === 'reject') {
          refused.push({
            index,
            error: orderError(decision.code, `${decision.message} (order ${orderId})`, {
              details: { orderId, eventType: reply.type },
            }),
          });
        } else if (decision.kind === 'ignore') {
          recordIgnored(dependencies, decision, { orderId, type: reply.type, logger: transaction.logger });
        }
        return;
      }
    }
  });
  return refused;
}

/** Replies for an unknown order that hold nothing and are acknowledged (the others are refused). */
const ACKNOWLEDGED_FOR_UNKNOWN_ORDERS: ReadonlySet<SagaReply['type']> = new Set([
  'InventoryFailed',
  'ReservationReleased',
]);

/** Logs and counts a reply for an order that does not exist and was not refused. */
function recordUnknownOrder(
  dependencies: Pick<SagaDependencies, 'metrics'>,
  input: { orderId: string; type: string; released: boolean },
  logger: Logger,
): void {
  const action = input.released ? 'released' : 'acknowledged';
  dependencies.metrics.unknownOrderReplies.inc({ type: input.type, action });
  const log = { orderId: input.orderId, eventType: input.type, action };
  if (input.released) logger.warn(log, 'stock reserved for an order that does not exist; released');
  else logger.info(log, 'reply for an order that does not exist; nothing held, acknowledged');
}

/** Logs and counts a reply that changed nothing. */
function recordIgnored(
  dependencies: Pick<SagaDependencies, 'metrics'>,
  decision: SagaIgnore,
  input: { orderId: string; type: string; logger: Logger },
): void {
  dependencies.metrics.ignoredReplies.inc({ type: input.type, contradicts: String(decision.contradicts) });
  const log = { orderId: input.orderId, eventType: input.type, sagaState: decision.state };
  if (decision.contradicts) input.logger.warn(log, 'input contradicts the saga; ignored');
  else input.logger.info(log, 'duplicate or late input; ignored');
}
