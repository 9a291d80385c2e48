/**
 * The REST reservation mode's use case: once the placement committed (the order and its saga in RESERVING,
 * no OrderPlaced published), ask Inventory synchronously and apply its answer to the saga exactly as the
 * reply consumer applies InventoryReserved or InventoryFailed (`onReply`, under the saga's lock, with its
 * commands and outcome in the same write set): a reservation starts the charge (CHARGING, ChargePayment), a
 * failure cancels the order (ITEMS_UNAVAILABLE, OrderCancelled). Only the transport of the reply differs, so
 * payment, compensation and refunds run as in the Kafka mode.
 *
 * The order is written before the call so that a call that timed out after Inventory reserved is never
 * lost: the reservation step stays open with its deadline, a retry with the same Idempotency-Key asks again
 * (Inventory answers the same decision), and an unanswered one is given up by the deadline scanner, which
 * cancels the order and releases whatever Inventory may hold.
 */
import type { Money } from '@shop/contracts';
import { inTransaction } from '@shop/platform';
import type { LineFailure } from '../domain/cancel-reason.ts';
import type { OrderLine } from '../domain/order.ts';
import type { ReservationService } from '../domain/reservation-service.ts';
import { onReply } from '../domain/saga/on-reply.ts';
import type { SagaReply } from '../domain/saga/saga-model.ts';
import { orderError } from '../errors.ts';
import { getOrder, type OrderWithSaga } from './order-queries.ts';
import type { SagaUseCaseDependencies } from './saga-dependencies.ts';
import { withLockedSagas } from './with-locked-sagas.ts';

export type SynchronousReservation =
  /** The answer was applied: the charge has started (CHARGING). */
  | { readonly outcome: 'RESERVED'; readonly total: Money }
  /** The answer was applied: the order is CANCELLED (ITEMS_UNAVAILABLE). */
  | { readonly outcome: 'FAILED'; readonly failures: readonly LineFailure[] }
  /**
   * The saga had moved on (a replay of a decided order, a cancellation during the call, the deadline): the
   * order as it now is says what to answer.
   */
  | { readonly outcome: 'SETTLED_BEFORE'; readonly order: OrderWithSaga };

/**
 * Reserves the placed order's lines and applies the answer. Throws ORD_INVENTORY_UNAVAILABLE when Inventory
 * did not answer (the order stays RESERVING until a retry or its deadline).
 */
export async function reserveSynchronously(
  dependencies: SagaUseCaseDependencies & { reservations: ReservationService },
  orderId: string,
  lines: readonly OrderLine[],
): Promise<SynchronousReservation> {
  const answer = await dependencies.reservations.reserve(orderId, lines);
  if (answer.outcome !== 'RELEASED') {
    const reply: SagaReply =
      answer.outcome === 'RESERVED'
        ? { type: 'InventoryReserved', lines: answer.lines, total: answer.total }
        : { type: 'InventoryFailed', failures: answer.failures };
    const [outcome] = await inTransaction(dependencies.pool, (client) =>
      withLockedSagas({ client, logger: dependencies.logger }, dependencies, [{ orderId }], (saga, _input, context) =>
        onReply(saga, reply, context),
      ),
    );
    if (outcome?.kind === 'failed') throw outcome.error;
    if (outcome?.kind === 'decided') {
      const { decision } = outcome;
      if (decision.kind === 'reject') {
        throw orderError(decision.code, `${decision.message} (order ${orderId})`, { details: { orderId } });
      }
      if (decision.kind === 'change' && answer.outcome === 'RESERVED' && decision.state === 'CHARGING') {
        return { outcome: 'RESERVED', total: answer.total };
      }
      if (decision.kind === 'change' && answer.outcome === 'FAILED' && decision.state === 'CANCELLED') {
        return { outcome: 'FAILED', failures: answer.failures };
      }
    }
  }
  return { outcome: 'SETTLED_BEFORE', order: await getOrder(dependencies.pool, orderId) };
}
