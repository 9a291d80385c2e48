/**
 * Requests that drive a saga from outside:
 * - `POST /orders/{id}/cancel` (the customer) → 202 with the order when the cancellation is accepted (the
 *   order shows its current status until the compensations answered), 200 when it is already CANCELLED.
 * - `POST /sagas/{orderId}/retry` (an operator, `npm run cli -- saga retry`) → 202 when a COMPENSATION_FAILED
 *   saga was sent back to work, 409 `ORD_SAGA_NOT_FAILED` otherwise.
 * - `GET /sagas/summary` (an operator: the console's overview) → how many sagas are in each state.
 *
 * Both are use cases of app/ (cancel-order.ts, retry-saga.ts): decided under the order's row lock in one
 * transaction with their commands (outbox), like a reply.
 */
import { principal, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import { cancelOrder } from '../app/cancel-order.ts';
import { findOrder, sagaSummary } from '../app/order-queries.ts';
import { retrySaga } from '../app/retry-saga.ts';
import type { SagaUseCaseDependencies } from '../app/saga-dependencies.ts';
import { ORDER_ERRORS } from '../errors.ts';
import { assertVisible, CUSTOMER_ACCESS } from './customer-scope.ts';
import { OrderParams, SagaSummaryResponse } from './order-schemas.ts';
import { orderResponse } from './order-view.ts';

/** The stable codes each route answers with beside the shared ones (documented in its OpenAPI responses). */
const cancelRoute = {
  schema: { params: OrderParams },
  config: { errors: routeErrors(ORDER_ERRORS, 'ORD_NOT_FOUND', 'ORD_SAGA_NEEDS_OPERATOR'), access: CUSTOMER_ACCESS },
};
const retryRoute = {
  schema: { params: OrderParams },
  config: { errors: routeErrors(ORDER_ERRORS, 'ORD_NOT_FOUND', 'ORD_SAGA_NOT_FAILED'), access: ['operator'] as const },
};

const summaryRoute = {
  schema: { response: { 200: SagaSummaryResponse } },
  config: { errors: routeErrors(ORDER_ERRORS), access: ['operator'] as const },
};

export function registerSagaRoutes(app: FastifyInstance, dependencies: SagaUseCaseDependencies): void {
  app.post('/orders/:id/cancel', cancelRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    // The owner never changes, so checking it before the locked cancellation is as good as under the lock.
    assertVisible(principal(request), await findOrder(dependencies.pool, orderId), orderId);
    const order = await cancelOrder(dependencies, orderId);
    return reply
      .status(order.status === 'CANCELLED' ? 200 : 202)
      .header('cache-control', 'no-store')
      .send(orderResponse(order));
  });

  // Counts every saga of the service: a scan of order_sagas, as the order_sagas gauge makes on each scrape.
  app.get('/sagas/summary', summaryRoute, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .send({ at: new Date().toISOString(), states: await sagaSummary(dependencies.pool) }),
  );

  app.post('/sagas/:id/retry', retryRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    const order = await retrySaga(dependencies, orderId);
    request.log.warn({ orderId }, 'operator retried a COMPENSATION_FAILED saga');
    return reply.status(202).send(orderResponse(order));
  });
}
