/**
 * The customer's cancellation (`POST /orders/{id}/cancel`): decided under the order's lock in one
 * transaction with its commands (outbox), like a reply. Accepted cancellations of a PENDING order wait for
 * the next reply; a CONFIRMED one starts the refund and the release at once.
 */
import { onCancelRequest } from '../domain/saga/on-cancel-request.ts';
import { getOrder, type OrderWithSaga } from './order-queries.ts';
import type { SagaUseCaseDependencies } from './saga-dependencies.ts';
import { withLockedSaga } from './with-locked-sagas.ts';

/** Applies the cancellation (or nothing, when it is already under way) and returns the order as it now is. */
export async function cancelOrder(dependencies: SagaUseCaseDependencies, orderId: string): Promise<OrderWithSaga> {
  await withLockedSaga(dependencies, orderId, onCancelRequest);
  return getOrder(dependencies.pool, orderId);
}
