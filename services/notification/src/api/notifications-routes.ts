/**
 * `GET /notifications?orderId=<uuid>`: every notification of one order (at most one per outcome per
 * channel), with what was sent, to whom, its status, attempts and idempotency key. An order with none
 * yet answers 200 with an empty list: notifications follow the order's outcome asynchronously, so
 * "none yet" is a normal state, not a missing resource.
 */
import { type Pool, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listNotificationsOfOrder } from '../db/notification-repository.ts';
import { NOTIFICATION_ERRORS } from '../errors.ts';

/** A UUID in any letter case; stored ids are lowercase, so the query is lowercased before use. */
const UUID_ANY_CASE = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const NotificationsQuery = Type.Object(
  { orderId: Type.String({ pattern: UUID_ANY_CASE, description: 'The order whose notifications to list.' }) },
  { additionalProperties: false },
);

export function registerNotificationRoutes(app: FastifyInstance, options: { pool: Pool }): void {
  app.get<{ Querystring: { orderId: string } }>(
    '/notifications',
    // Recipients are personal data: operators only.
    {
      schema: { querystring: NotificationsQuery },
      config: { errors: routeErrors(NOTIFICATION_ERRORS), access: ['operator'] },
    },
    async (request) => {
      const orderId = request.query.orderId.toLowerCase();
      return { orderId, notifications: await listNotificationsOfOrder(options.pool, orderId) };
    },
  );
}
