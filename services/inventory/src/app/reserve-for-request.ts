/**
 * The synchronous reservation (`PUT /reservations/{orderId}`): the same decision as the `reserveStock`
 * consumer (`recordReservations`), for one order, in a transaction of its own, answered over HTTP instead
 * of with an event. Exactly once per order id: the first request decides and records; every later one (a
 * retry after a timeout, a replayed order) finds the reservation and gets the recorded decision back, never
 * a second one, whatever the stock is now. A repeat that names other lines than the recorded ones is refused
 * (INV_RESERVATION_CONFLICT): the order id is the idempotency key, and a key means one request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '@shop/contracts';
import { BatchItemError, inTransaction, isAppError, type Pool } from '@shop/platform';
import { findReservation, type Reservation } from '../db/reservation-repository.ts';
import type { OrderLine } from '../domain/reservation-decision.ts';
import { inventoryError } from '../errors.ts';
import type { InventoryMetrics } from '../metrics.ts';
import { recordReservations } from './reserve-stock.ts';

export interface ReserveForRequestDependencies {
  pool: Pool;
  metrics: InventoryMetrics;
  /** Injected slowness per call (INVENTORY_RESERVE_DELAY_MS, for experiments). Default 0. */
  delayMs?: number;
}

export interface RequestedReservation {
  /** True when this request decided it; false when an earlier one had. */
  readonly created: boolean;
  readonly reservation: Reservation;
}

/** A concurrent request for the same order is seen as a duplicate on the second attempt. */
const ATTEMPTS = 2;

export async function reserveForRequest(
  { pool, metrics, delayMs = 0 }: ReserveForRequestDependencies,
  orderId: string,
  lines: readonly OrderLine[],
): Promise<RequestedReservation> {
  if (delayMs > 0) await sleep(delayMs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, async (client) => {
        const recorded = await recordReservations(client, [{ index: 0, orderId, lines, requestId: newId() }], metrics);
        const [rejection] = recorded.rejected;
        if (rejection !== undefined) {
          throw inventoryError('INV_RESERVATION_REFUSED', (rejection.error as Error).message, {
            details: { orderId },
            cause: rejection.error,
          });
        }
        const reservation = await findReservation(client, orderId);
        if (reservation === undefined)
          throw inventoryError('INV_RESERVATION_NOT_FOUND', `No reservation for order ${orderId}`);
        const created = recorded.decided.length === 1;
        if (!created && !sameRequest(reservation, lines)) {
          throw inventoryError(
            'INV_RESERVATION_CONFLICT',
            `Order ${orderId} was reserved with other lines; an order id names one request`,
            { details: { orderId } },
          );
        }
        return { created, reservation };
      });
    } catch (error) {
      // Another request for this order committed first: the next attempt finds its reservation.
      const concurrent =
        error instanceof BatchItemError && isAppError(error.cause) && error.cause.code === 'INV_CONCURRENT_DECISION';
      if (!concurrent) throw error;
      if (attempt >= ATTEMPTS) throw error.cause;
    }
  }
}

/** The recorded lines are the requested ones (the same SKUs and quantities, in any order). */
function sameRequest(reservation: Reservation, lines: readonly OrderLine[]): boolean {
  const key = (items: ReadonlyArray<{ sku: string; quantity: number }>) =>
    items
      .map((line) => `${line.sku}\u0000${line.quantity}`)
      .sort()
      .join('\u0001');
  return key(reservation.lines) === key(lines);
}
