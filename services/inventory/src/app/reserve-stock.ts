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
 *
 * The decision and its records (`recordReservations`) are shared with the synchronous reservation endpoint
 * (reserve-for-request.ts): only how the result is told differs (an event here, the HTTP answer there).
 */
import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Injected slowness per call (INVENTORY_RESERVE_DELAY_MS, for experiments). Default 0. */
  delayMs?: number;
}

const REJECTION_CODES: Readonly<Record<RejectionProblem, InventoryErrorCode>> = {
  MIXED_CURRENCIES: 'INV_MIXED_CURRENCIES',
  AMOUNT_TOO_LARGE: 'INV_TOTAL_OUT_OF_RANGE',
  NO_LINES: 'INV_ORDER_INVALID',
  DUPLICATE_SKU: 'INV_ORDER_INVALID',
  INVALID_QUANTITY: 'INV_ORDER_INVALID',
};

/** One order to decide: what OrderPlaced (or a reservation request) asks for, and what recorded it. */
export interface ReservationRequest {
  /** Its position in the caller's batch (what a refusal names). */
  readonly index: number;
  readonly orderId: string;
  readonly lines: readonly OrderLine[];
  /** Recorded as `created_by_event_id`: the OrderPlaced event's id, or the request's own id. */
  readonly requestId: string;
}

/** An order decided by `recordReservations`, with its decision. */
export interface RecordedReservation {
  readonly index: number;
  readonly orderId: string;
  readonly decision: Extract<ReservationDecision, { outcome: 'RESERVED' | 'FAILED' }>;
}

export interface RecordedReservations {
  /** Decided and recorded now, in request order. */
  readonly decided: readonly RecordedReservation[];
  /** Decided by an earlier transaction (or earlier in this set): nothing changed for them. */
  readonly duplicates: readonly string[];
  /** Malformed, or impossible to total: nothing recorded for them. */
  readonly rejected: readonly Rejection[];
}

/**
 * The one reservation decision, shared by the `reserveStock` consumer and the synchronous reservation
 * endpoint: on `client`'s transaction, locks every product the requests name (SKU order), skips the orders
 * already decided, decides the others in request order over the running stock and records them (the
 * reservations, then one stock update). Writes no event: the caller says the result its own way.
 * Throws BatchItemError(INV_CONCURRENT_DECISION) when a concurrent transaction recorded one of the orders
 * meanwhile (nothing of this transaction may then be kept; run again, it is a duplicate).
 */
export async function recordReservations(
  client: PoolClient,
  requests: readonly ReservationRequest[],
  metrics: InventoryMetrics,
): Promise<RecordedReservations> {
  const rejected: Rejection[] = [];
  if (requests.length === 0) return { decided: [], duplicates: [], rejected };
  // Which orders are decided already, read before the lock: the product rows are the hot ones (every
  // batch of every partition locks the same catalog), so the lock is taken as late as possible and held for
  // the fewest round trips (measured at 40 orders/s: the locking statements waited 35–45 ms a call, most
  // of Inventory's database time). Reading early is safe: a reservation is never deleted, and one recorded
  // by a concurrent transaction after this read makes our insert of it conflict (INV_CONCURRENT_DECISION
  // below, the batch run again), exactly as one recorded between the lock and the read did.
  const decidedBefore = await findReservationStatuses(
    client,
    requests.map((request) => request.orderId),
  );
  // The one locking statement, before any write: every product of the set, in SKU order.
  const locked = await lockStock(
    client,
    requests.flatMap((request) => request.lines.map((line) => line.sku)),
  );

  const stock = new RunningStock(locked);
  /** Orders with a reservation: decided by an earlier transaction, or earlier in this set. */
  const decidedOrders = new Set(decidedBefore.keys());
  const decided: Array<RecordedReservation & { reservation: NewReservation }> = [];
  const duplicates: string[] = [];
  for (const { index, orderId, lines, requestId } of requests) {
    // Checked before deciding: a second request for a decided order is a no-op even when it (or the
    // catalog since) would be refused, rather than dead-letter a settled order; and it must not count
    // against the running stock of the orders after it.
    if (decidedOrders.has(orderId)) {
      duplicates.push(orderId);
      continue;
    }
    const decision = decideReservation(lines, stock.view);
    if (decision.outcome === 'REJECTED') {
      // No reservation is recorded, so a later request of this order (here or later) is decided afresh.
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
    decided.push({ index, orderId, decision, reservation: toReservation(orderId, lines, requestId, decision) });
  }

  const inserted = await insertReservations(
    client,
    decided.map((entry) => entry.reservation),
  );
  const lost = decided.find((entry) => !inserted.has(entry.orderId));
  if (lost !== undefined) {
    // A concurrent transaction recorded this order after our read (another OrderPlaced of it in a retry tier,
    // a concurrent request, or a release of the never-reserved order): it is a duplicate, and the orders
    // after it were decided against stock it does not take. Run again, the item alone sees that reservation
    // and the rest is decided afresh, exactly as one after the other. Nothing of this transaction is kept.
    throw new BatchItemError(
      lost.index,
      inventoryError(
        'INV_CONCURRENT_DECISION',
        `Order ${lost.orderId} was recorded by a concurrent transaction while this batch decided it`,
        { details: { orderId: lost.orderId } },
      ),
    );
  }
  await applyStockDeltas(client, stock.deltas());
  count(metrics, 'duplicate', duplicates.length);
  count(metrics, 'reserved', decided.filter((entry) => entry.decision.outcome === 'RESERVED').length);
  count(metrics, 'failed', decided.filter((entry) => entry.decision.outcome === 'FAILED').length);
  return { decided, duplicates, rejected };
}

/**
 * Runs on the batch's transaction (`client`); see the module comment for what it guarantees. Returns the
 * refused orders (malformed, or impossible to total) as rejections: they have no effect here.
 */
export async function reserveStock(
  client: PoolClient,
  items: ReadonlyArray<EventBatchItem>,
  logger: Logger,
  { events, metrics, delayMs = 0 }: ReserveStockDependencies,
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
  // The injected slowness (a setting for experiments, 0 by default): once per call, before any lock.
  if (delayMs > 0) await sleep(delayMs);

  const byIndex = new Map(orders.map((entry) => [entry.index, entry]));
  const recorded = await recordReservations(
    client,
    orders.map(({ index, order, cause }) => ({
      index,
      orderId: order.orderId,
      lines: order.lines,
      requestId: cause.eventId,
    })),
    metrics,
  );
  await events.appendAll(
    client,
    recorded.decided.map(({ index, decision }) => {
      const entry = byIndex.get(index);
      if (entry === undefined) throw platformError('PLT_UNEXPECTED', `reserveStock: no event at index ${index}`);
      return toEvent(entry.order.orderId, entry.cause, decision);
    }),
  );
  for (const orderId of recorded.duplicates)
    logger.info({ orderId }, 'OrderPlaced for an order already decided; nothing changes');
  return { rejected: [...rejected, ...recorded.rejected] };
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

function toReservation(
  orderId: string,
  requested: readonly OrderLine[],
  requestId: string,
  decision: Extract<ReservationDecision, { outcome: 'RESERVED' | 'FAILED' }>,
): NewReservation {
  const lines = recordedLines(requested, decision);
  if (decision.outcome === 'RESERVED') {
    return { orderId, status: 'RESERVED', lines, total: decision.total, createdByEventId: requestId };
  }
  return { orderId, status: 'FAILED', lines, createdByEventId: requestId };
}

function toEvent(
  orderId: string,
  cause: EventMeta,
  decision: Extract<ReservationDecision, { outcome: 'RESERVED' | 'FAILED' }>,
): AnyAppendEventInput {
  if (decision.outcome === 'RESERVED') {
    return {
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
    };
  }
  return {
    type: 'InventoryFailed',
    payload: { orderId, failures: decision.failures.map((failure) => ({ ...failure })) },
    causedBy: { cause },
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
