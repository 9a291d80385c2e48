/**
 * GET /reservations/{orderId}: the order's reservation as Inventory recorded it (status, lines with
 * quoted prices or failure reasons, total, timestamps); 404 INV_RESERVATION_NOT_FOUND. For operators
 * and tests: the order saga learns the same facts from the events, never from this endpoint.
 */
import { type Pool, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import { findReservation } from '../db/reservation-repository.ts';
import { INVENTORY_ERRORS, inventoryError } from '../errors.ts';
import { OrderIdParams, ReservationView } from './schemas.ts';
import { reservationView } from './views.ts';

export function registerReservationRoutes(app: FastifyInstance, { pool }: { pool: Pool }): void {
  app.get<{ Params: OrderIdParams }>(
    '/reservations/:orderId',
    {
      schema: { params: OrderIdParams, response: { 200: ReservationView } },
      config: { errors: routeErrors(INVENTORY_ERRORS, 'INV_RESERVATION_NOT_FOUND') },
    },
    async (request): Promise<ReservationView> => {
      const reservation = await findReservation(pool, request.params.orderId);
      if (reservation === undefined) {
        throw inventoryError('INV_RESERVATION_NOT_FOUND', `No reservation for order ${request.params.orderId}`);
      }
      return reservationView(reservation);
    },
  );
}
