/**
 * Requests that drive a saga from outside:
 * - `POST /orders/{id}/cancel` (the customer) → 202 with the order when the cancellation is accepted (the
 *   order shows its current status until the compensations answered), 200 when it is already CANCELLED.
 * - `POST /sagas/{orderId}/retry` (an operator, `npm run cli -- saga retry`) → 202 when a COMPENSATION_FAILED
 *   saga was sent back to work, 409 `ORD_SAGA_NOT_FAILED` otherwise.
 *
 * Both decide under the order's row lock in one transaction with their commands (outbox), like a reply.
 */
import { inTransaction, type Pool } from '@shop/platform/db/pool';
import { routeErrors } from '@shop/platform/http/app';
import type { Logger } from '@shop/platform/logger';
import type { FastifyInstance } from 'fastify';
import { findOrderWithSaga, lockSaga, type OrderRecord } from '../db/order-repository.ts';
import { type DecisionContext, onCancelRequest, onOperatorRetry, type SagaDecision } from '../domain/order-saga.ts';
import { ORDER_ERRORS, orderError } from '../errors.ts';
import { type SagaEffectsDependencies, SagaWriteSet } from '../events/saga-effects.ts';
import { OrderParams } from './order-schemas.ts';
import { type OrderView, orderResponse } from './order-view.ts';

export interface SagaRoutesDependencies {
  pool: Pool;
  saga: SagaEffectsDependencies;
  logger: Logger;
}

type Decide = (saga: Parameters<typeof onCancelRequest>[0], context: DecisionContext) => SagaDecision;

/** The stable codes each route answers with beside the shared ones (documented in its OpenAPI responses). */
const cancelRoute = {
  schema: { params: OrderParams },
  config: { errors: routeErrors(ORDER_ERRORS, 'ORD_NOT_FOUND', 'ORD_SAGA_NEEDS_OPERATOR') },
};
const retryRoute = {
  schema: { params: OrderParams },
  config: { errors: routeErrors(ORDER_ERRORS, 'ORD_NOT_FOUND', 'ORD_SAGA_NOT_FAILED') },
};

export function registerSagaRoutes(app: FastifyInstance, dependencies: SagaRoutesDependencies): void {
  const { pool, saga, logger } = dependencies;

  /** Decides and applies one request (an ignored one changes nothing), then reads the order as it now is. */
  async function drive(orderId: string, decide: Decide): Promise<{ order: OrderRecord; view: OrderView }> {
    await inTransaction(pool, async (client) => {
      const locked = await lockSaga(client, orderId);
      if (locked === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
      const decision = decide(locked, { now: new Date(), settings: saga.settings, newId: () => crypto.randomUUID() });
      if (decision.kind === 'reject') throw orderError(decision.code, decision.message, { details: { orderId } });
      if (decision.kind === 'change') {
        const writes = new SagaWriteSet(saga, logger);
        writes.apply(locked, decision);
        await writes.flush(client);
      }
    });
    const order = await findOrderWithSaga(pool, orderId);
    if (order === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
    return { order, view: orderResponse(order) };
  }

  app.post('/orders/:id/cancel', cancelRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    const { order, view } = await drive(orderId, onCancelRequest);
    return reply
      .status(order.status === 'CANCELLED' ? 200 : 202)
      .header('cache-control', 'no-store')
      .send(view);
  });

  app.post('/sagas/:id/retry', retryRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    const { view } = await drive(orderId, onOperatorRetry);
    request.log.warn({ orderId }, 'operator retried a COMPENSATION_FAILED saga');
    return reply.status(202).send(view);
  });
}
