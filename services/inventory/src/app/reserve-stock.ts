/**
 * reserveStock (use case): a batch of OrderPlaced events -> one transaction (the batch's, opened by the
 * consumer runner with its inbox rows; events/reserve-stock.ts hands it over) that decides every order all or nothing,
 * moves the stock, records the reservations under their order ids and appends InventoryReserved or
 * InventoryFailed to the outbox for each. The runner's transaction already holds the inbox rows, so a
 * redelivered event id never gets here; the reservation's primary key covers a second OrderPlaced event for
 * the same order.
 *
 * The batch works in sets, with a fixed number of statements whatever its size: one locks every product the
 * batch names (SKU order), one reads which orders are decided already, then the decisions are taken in memory
 * in array order over the running stock (so orders competing for the last units are decided exactly as one
 * after the other would be), and three writes follow: the reservations with their lines, one stock update for
 * every SKU, one outbox insert.
 */
import type { EventMeta, EventPayload } from '@shop/contracts';
import {
  type AnyAppendEventInput,
  BatchItemError,
  type BatchResult,
  type EventBatchItem,
  type EventWriter,
  type Logger,
  type PoolClient,
  platformError,
  type Rejection,
} from '@shop/platform';
import { applyStockDeltas, lockStock, type Product, type StockDelta } from '../db/product-repository.ts';
import {
  findReservationStatuses,
  insertReservations,
  type NewReservation,
  type ReservationLine,
} from '../db/reservation-repository.ts';
import {
  decideReservation,
  type OrderLine,
  type ProductStock,
  type RejectionProblem,
  type ReservationDecision,
} from '../domain/reservation-decision.ts';
import { type InventoryErrorCode, inventoryError } from '../errors.ts';
import type { InventoryMetrics, ReservationOutcome } from '../metrics.ts';

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

/** An order decided in this batch, with what must be written for it. */
interface Decided {
  readonly index: number;
  readonly reservation: NewReservation;
  readonly event: AnyAppendEventInput;
  readonly outcome: 'reserved' | 'failed';
}

/**
 * Runs on the batch's transaction (`client`); see the module comment for what it guarantees. Returns the
 * refused orders (malformed, or impossible to total) as rejections: they have no effect here.
 */
export async function reserveStock(
  client: PoolClient,
  items: ReadonlyArray<EventBatchItem>,
  logger: Logger,
  { events, metrics }: ReserveStockDependencies,
): Promise<BatchResult> {
  const rejected: Rejection[] = [];
  const orders: { index: number; order: EventPayload<'OrderPlaced'>; cause: EventMeta }[] = [];
  for (const item of items) {
    if (item.event.type === 'OrderPlaced') {
      orders.push({ index: item.index, order: item.event.payload, cause: item.meta });
    } else {
      rejected.push({
        index: item.index,
        error: inventoryError('INV_UNEXPECTED_EVENT', `reserveStock does not handle ${item.event.type}`),
      });
    }
  }
  if (orders.length === 0) return { rejected };

  // The one locking statement, before any write: every product of the batch, in SKU order.
  const locked = await lockStock(
    client,
    orders.flatMap(({ order }) => order.lines.map((line) => line.sku)),
  );
  const decidedBefore = await findReservationStatuses(
    client,
    orders.map(({ order }) => order.orderId),
  );

  const stock = new RunningStock(locked);
  /** Orders with a reservation: decided by an earlier transaction, or earlier in this batch. */
  const decidedOrders = new Set(decidedBefore.keys());
  const decided: Decided[] = [];
  const duplicates: string[] = [];
  for (const { index, order, cause } of orders) {
    const { orderId } = order;
    // Checked before deciding: a second OrderPlaced for a decided order is a no-op even when it (or the
    // catalog since) would be refused, rather than dead-letter a settled order; and it must not count
    // against the running stock of the orders after it.
    if (decidedOrders.has(orderId)) {
      duplicates.push(orderId);
      continue;
    }
    const decision = decideReservation(order.lines, stock.view);
    if (decision.outcome === 'REJECTED') {
      // No reservation is recorded, so a later OrderPlaced of this order (here or later) is decided afresh.
      rejected.push({
        index,
        error: inventoryError(
          REJECTION_CODES[decision.problem],
          `Order ${orderId} cannot be reserved: ${decision.message}`,
          { details: { orderId, problem: decision.problem } },
        ),
      });
      continue;
    }
    decidedOrders.add(orderId);
    if (decision.outcome === 'RESERVED') stock.reserve(decision.lines);
    decided.push(toWrites(index, order, cause, decision));
  }

  const inserted = await insertReservations(
    client,
    decided.map((entry) => entry.reservation),
  );
  const lost = decided.find((entry) => !inserted.has(entry.reservation.orderId));
  if (lost !== undefined) {
    // A concurrent transaction recorded this order after our read (another OrderPlaced of it in a retry tier,
    // or a release of the never-reserved order): it is a duplicate, and the orders after it were decided
    // against stock it does not take. Run again, the item alone sees that reservation and the rest is
    // decided afresh, exactly as one after the other. Nothing of this transaction is kept.
    throw new BatchItemError(
      lost.index,
      inventoryError(
        'INV_CONCURRENT_DECISION',
        `Order ${lost.reservation.orderId} was recorded by a concurrent transaction while this batch decided it`,
        { details: { orderId: lost.reservation.orderId } },
      ),
    );
  }
  await applyStockDeltas(client, stock.deltas());
  await events.appendAll(
    client,
    decided.map((entry) => entry.event),
  );

  for (const orderId of duplicates)
    logger.info({ orderId }, 'OrderPlaced for an order already decided; nothing changes');
  count(metrics, 'duplicate', duplicates.length);
  count(metrics, 'reserved', decided.filter((entry) => entry.outcome === 'reserved').length);
  count(metrics, 'failed', decided.filter((entry) => entry.outcome === 'failed').length);
  return { rejected };
}

function count(metrics: InventoryMetrics, outcome: ReservationOutcome, value: number): void {
  if (value > 0) metrics.reservations.inc({ outcome }, value);
}

/**
 * The locked products' stock as the batch's decisions change it: what `decideReservation` sees for the next
 * order, and the net change per SKU to write at the end.
 */
class RunningStock {
  readonly #products = new Map<string, ProductStock & { available: number }>();
  readonly #reserved = new Map<string, number>();

  constructor(locked: ReadonlyMap<string, Product>) {
    for (const [sku, product] of locked) {
      this.#products.set(sku, { sku, available: product.available, unitPrice: product.unitPrice });
    }
  }

  get view(): ReadonlyMap<string, ProductStock> {
    return this.#products;
  }

  /** Moves each line's units from available to reserved; the decision checked they are there. */
  reserve(lines: readonly OrderLine[]): void {
    for (const line of lines) {
      const product = this.#products.get(line.sku);
      if (product === undefined) throw platformError('PLT_UNEXPECTED', `reserve: ${line.sku} is not locked`);
      product.available -= line.quantity;
      this.#reserved.set(line.sku, (this.#reserved.get(line.sku) ?? 0) + line.quantity);
    }
  }

  deltas(): StockDelta[] {
    return [...this.#reserved].map(([sku, units]) => ({ sku, available: -units, reserved: units, sold: 0 }));
  }
}

function toWrites(
  index: number,
  order: EventPayload<'OrderPlaced'>,
  cause: EventMeta,
  decision: Extract<ReservationDecision, { outcome: 'RESERVED' | 'FAILED' }>,
): Decided {
  const { orderId } = order;
  const lines = recordedLines(order.lines, decision);
  if (decision.outcome === 'RESERVED') {
    return {
      index,
      outcome: 'reserved',
      reservation: { orderId, status: 'RESERVED', lines, total: decision.total, createdByEventId: cause.eventId },
      event: {
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
      },
    };
  }
  return {
    index,
    outcome: 'failed',
    reservation: { orderId, status: 'FAILED', lines, createdByEventId: cause.eventId },
    event: {
      type: 'InventoryFailed',
      payload: { orderId, failures: decision.failures.map((failure) => ({ ...failure })) },
      causedBy: { cause },
    },
  };
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
