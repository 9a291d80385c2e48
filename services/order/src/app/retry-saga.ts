/**
 * An operator's retry of a COMPENSATION_FAILED saga (`POST /sagas/{id}/retry`, `npm run cli -- saga
 * retry`): its parked steps are sent again with a fresh attempt budget, under the order's lock in one
 * transaction with their commands. ORD_SAGA_NOT_FAILED for a saga that is not parked.
 */
import { onOperatorRetry } from '../domain/saga/on-operator-retry.ts';
import { getOrder, type OrderWithSaga } from './order-queries.ts';
import type { SagaUseCaseDependencies } from './saga-dependencies.ts';
import { withLockedSaga } from './with-locked-sagas.ts';

/** Sends the parked steps again and returns the order as it now is. */
export async function retrySaga(dependencies: SagaUseCaseDependencies, orderId: string): Promise<OrderWithSaga> {
  await withLockedSaga(dependencies, orderId, onOperatorRetry);
  return getOrder(dependencies.pool, orderId);
}
