/**
 * reserveStock: OrderPlaced -> one transaction that decides the reservation all or nothing, moves the
 * stock, records the reservation under the order id and appends InventoryReserved or InventoryFailed to
 * the outbox. The runner's transaction already holds the inbox row, so a redelivered event id never
 * gets here; the reservation's primary key covers a second OrderPlaced event for the same order.
 */
import type { EventMeta, EventPayload } from '@shop/contracts';
import type { PoolClient } from '@shop/platform/db/pool';
import type { EventHandler } from '@shop/platform/events/catalog-consumer';
import type { EventWriter } from '@shop/platform/events/event-writer';
import type { Logger } from '@shop/platform/logger';
import { lockProducts, moveStock } from '../db/product-repository.ts';
import { findReservationStatus, insertReservation, type ReservationLine } from '../db/reservation-repository.ts';
import {
  decideReservation,
  type OrderLine,
  type RejectionProblem,
  type ReservationDecision,
} from '../domain/reservation-decision.ts';
import { type InventoryErrorCode, inventoryError } from '../inventory-errors.ts';
import type { InventoryMetrics } from './inventory-metrics.ts';

export interface ReserveStockDependencies {
  events: EventWriter;
  metrics: InventoryMetrics;
}

const REJECTION_CODES: Readonly<Record<RejectionProblem, InventoryErrorCode>> = {
  MIXED_CURRENCIES: 'INV_MIXED_CURRENCIES',
  AMOUNT_TOO_LARGE: 'INV_TOTAL_OUT_OF_RANGE',
  NO_LINES: 'INV_ORDER_INVALID',
  DUPLICATE_SKU: 'INV_ORDER_INVALID',
  INVALID_QUANTITY: 'INV_ORDER_INVALID',
};

export function createReserveStockHandler(dependencies: ReserveStockDependencies): EventHandler {
  return async (event, context) => {
    if (event.type !== 'OrderPlaced') {
      throw inventoryError('INV_UNEXPECTED_EVENT', `reserveStock does not handle ${event.type}`);
    }
    await reserveStock(context.client, event.payload, context.meta, context.logger, dependencies);
  };
}

/** Runs on the consumer's transaction (`client`); see the module comment for what it guarantees. */
export async function reserveStock(
  client: PoolClient,
  order: EventPayload<'OrderPlaced'>,
  cause: EventMeta,
  logger: Logger,
  { events, metrics }: ReserveStockDependencies,
): Promise<void> {
  const { orderId } = order;
  // No separate duplicate check up front (a round trip on every order): a second OrderPlaced for a decided
  // order is rare, and the reservation's primary key below turns it into a no-op before any stock moves.
  const stock = await lockProducts(
    client,
    order.lines.map((line) => line.sku),
  );
  const decision = decideReservation(order.lines, stock);
  if (decision.outcome === 'REJECTED') {
    // Only here is a duplicate checked up front: a second OrderPlaced for an order decided earlier must stay a
    // no-op even when it (or the catalog since) would be refused, rather than dead-letter a settled order.
    if ((await findReservationStatus(client, orderId)) !== undefined) {
      logger.info({ orderId }, 'OrderPlaced for an order already decided; nothing changes');
      metrics.reservations.inc({ outcome: 'duplicate' });
      return;
    }
    throw inventoryError(
      REJECTION_CODES[decision.problem],
      `Order ${orderId} cannot be reserved: ${decision.message}`,
      {
        details: { orderId, problem: decision.problem },
      },
    );
  }

  const inserted = await insertReservation(client, {
    orderId,
    status: decision.outcome,
    lines: recordedLines(order.lines, decision),
    ...(decision.outcome === 'RESERVED' ? { total: decision.total } : {}),
    createdByEventId: cause.eventId,
  });
  if (!inserted) {
    // A reservation exists (decided earlier, or by a concurrent OrderPlaced we waited for): nothing moved yet.
    logger.info({ orderId }, 'OrderPlaced for an order already decided; nothing changes');
    metrics.reservations.inc({ outcome: 'duplicate' });
    return;
  }

  if (decision.outcome === 'RESERVED') {
    await moveStock(client, decision.lines, { from: 'available', to: 'reserved' });
    await events.append(client, {
      type: 'InventoryReserved',
      payload: {
        orderId,
        lines: decision.lines.map((line) => ({
          sku: line.sku,
          quantity: line.quantity,
          unitPrice: { amountMinor: line.unitPrice.amountMinor, currency: line.unitPrice.currency },
        })),
        total: { amountMinor: decision.total.amountMinor, currency: decision.total.currency },
      },
      causedBy: { cause },
    });
    metrics.reservations.inc({ outcome: 'reserved' });
  } else {
    await events.append(client, {
      type: 'InventoryFailed',
      payload: { orderId, failures: decision.failures.map((failure) => ({ ...failure })) },
      causedBy: { cause },
    });
    metrics.reservations.inc({ outcome: 'failed' });
  }
}

/**
 * The lines as the reservation records them: priced when stock is held; for a failed order every
 * requested line, the failing ones with their reason (so an operator sees the whole order).
 */
function recordedLines(
  requested: readonly OrderLine[],
  decision: Extract<ReservationDecision, { outcome: 'RESERVED' | 'FAILED' }>,
): ReservationLine[] {
  if (decision.outcome === 'RESERVED') return decision.lines.map((line) => ({ ...line }));
  const failures = new Map(decision.failures.map((failure) => [failure.sku, failure]));
  return requested.map((line) => {
    const failure = failures.get(line.sku);
    if (failure === undefined) return { sku: line.sku, quantity: line.quantity };
    return {
      sku: line.sku,
      quantity: line.quantity,
      failure:
        failure.reason === 'INSUFFICIENT_STOCK'
          ? { reason: failure.reason, available: failure.available }
          : { reason: failure.reason },
    };
  });
}
