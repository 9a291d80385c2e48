/**
 * - GET /reservations/{orderId}: the order's reservation as Inventory recorded it (status, lines with
 *   quoted prices or failure reasons, total, timestamps); 404 INV_RESERVATION_NOT_FOUND. For operators and
 *   tests: in the Kafka reservation mode the order saga learns the same facts from the events.
 * - PUT /reservations/{orderId}: the synchronous reservation (the Order Service's REST reservation mode):
 *   decides the order all or nothing, exactly once per order id, and answers the reservation (201 when this
 *   request decided it, 200 with the recorded decision when an earlier one had). Out of stock is a decision,
 *   not an error: status FAILED with each failing line's reason.
 */
import { type Pool, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import { reserveForRequest } from '../app/reserve-for-request.ts';
import { findReservation } from '../db/reservation-repository.ts';
import { INVENTORY_ERRORS, inventoryError } from '../errors.ts';
import type { InventoryMetrics } from '../metrics.ts';
import { OrderIdParams, ReservationView, ReserveBody } from './schemas.ts';
import { reservationView } from './views.ts';

export interface ReservationRoutesDependencies {
  pool: Pool;
  metrics: InventoryMetrics;
  /** Injected slowness per reservation call (INVENTORY_RESERVE_DELAY_MS). */
  delayMs: number;
}

export function registerReservationRoutes(app: FastifyInstance, dependencies: ReservationRoutesDependencies): void {
  const { pool } = dependencies;
  app.get<{ Params: OrderIdParams }>(
    '/reservations/:orderId',
    {
      schema: { params: OrderIdParams, response: { 200: ReservationView } },
      config: { errors: routeErrors(INVENTORY_ERRORS, 'INV_RESERVATION_NOT_FOUND'), access: ['service', 'operator'] },
    },
    async (request): Promise<ReservationView> => {
      const reservation = await findReservation(pool, request.params.orderId);
      if (reservation === undefined) {
        throw inventoryError('INV_RESERVATION_NOT_FOUND', `No reservation for order ${request.params.orderId}`);
      }
      return reservationView(reservation);
    },
  );

  app.put<{ Params: OrderIdParams; Body: ReserveBody }>(
    '/reservations/:orderId',
    {
      schema: { params: OrderIdParams, body: ReserveBody, response: { 200: ReservationView, 201: ReservationView } },
      // Only the Order Service reserves (REST mode): a reservation holds stock for an order it placed.
      config: {
        errors: routeErrors(INVENTORY_ERRORS, 'INV_RESERVATION_CONFLICT', 'INV_RESERVATION_REFUSED'),
        access: ['service'],
      },
    },
    async (request, reply) => {
      const { created, reservation } = await reserveForRequest(
        dependencies,
        request.params.orderId.toLowerCase(),
        request.body.lines,
      );
      return reply.status(created ? 201 : 200).send(reservationView(reservation));
    },
  );
}
