/**
 * Places orders: the idempotency claim, the order and its saga, and the OrderPlaced event commit in ONE
 * statement (one round trip, one implicit transaction). Either the customer's order exists and Inventory
 * will hear of it, or neither.
 *
 * Group commit: `OrderPlacements` places the requests that arrive while a placement statement is running
 * together, in the next statement, and answers each only once the statement (its transaction) committed. An
 * idle service places each order alone and at once; a busy one shares one statement, one commit and one WAL
 * flush between many orders.
 *
 * The saga starts as the domain decides (`startSaga`): the statement writes what that decision says.
 */
import { newId } from '@shop/contracts';
import { classifyFailure, type EventWriter, platformError, type Queryable, signalOutboxCommit } from '@shop/platform';
import { type NewOrder, type PlacementResult, placeOrders } from '../db/placement-statement.ts';
import { type PlaceOrderCommand, requestFingerprint } from '../domain/place-order-command.ts';
import type { SagaSettings } from '../domain/saga/saga-timing.ts';
import { startSaga } from '../domain/saga/start-saga.ts';
import { orderError } from '../errors.ts';

/** Orders placed by one statement at most: bounds the statement's size (13 arrays) and its lock time. */
export const MAX_PLACEMENTS_PER_STATEMENT = 100;
/**
 * Placement statements running at once. Two let one batch commit (WAL flush) while the next one is built and
 * sent, and keep most of the pool for the consumers and reads.
 */
export const MAX_PLACEMENTS_IN_FLIGHT = 2;

export interface PlaceOrderDependencies {
  /** The pool (or anything that runs one statement as its own transaction). */
  pool: Queryable;
  events: EventWriter;
  /** The saga's settings: how long Inventory may take to answer OrderPlaced (the reservation's deadline). */
  settings: Pick<SagaSettings, 'reservationTimeoutMs'>;
  /**
   * Write OrderPlaced to the outbox (Kafka reservation mode, the default). False in the REST mode, where the
   * reservation is asked for synchronously after the placement commits.
   */
  publishOrderPlaced?: boolean;
}

export interface PlacedOrder {
  orderId: string;
  /** True when an earlier request with the same Idempotency-Key placed it. */
  replayed: boolean;
}

/** Builds the rows of a new order; encodes (and validates) OrderPlaced before anything is written. */
function newOrder(
  dependencies: PlaceOrderDependencies,
  command: PlaceOrderCommand,
  idempotencyKey: string | undefined,
): NewOrder {
  const orderId = newId();
  const saga = startSaga(orderId, command, dependencies.settings);
  const placed = dependencies.events.encode({
    type: 'OrderPlaced',
    payload: { orderId, lines: saga.orderPlaced.lines.map((line) => ({ ...line })) },
    causedBy: { correlationId: orderId },
  });
  return {
    id: orderId,
    command,
    saga,
    ...(idempotencyKey === undefined
      ? {}
      : { idempotency: { key: idempotencyKey, fingerprint: requestFingerprint(command) } }),
    placed: placed.message,
    publish: dependencies.publishOrderPlaced ?? true,
  };
}

/** The answer to the request that asked for `order`, given what the statement did for it. */
function answer(order: NewOrder, result: PlacementResult): PlacedOrder {
  if (result.placed) return { orderId: order.id, replayed: false };
  if (result.fingerprint !== order.idempotency?.fingerprint) {
    throw orderError(
      'ORD_IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different order; use a new key for a new order',
    );
  }
  return { orderId: result.orderId, replayed: true };
}

/**
 * Runs the placement statement (its own transaction) and, once it committed, wakes this process's outbox
 * relay: the statement writes the OrderPlaced rows itself, outside `inTransaction`, so without the signal
 * each order would wait for the relay's poll (up to its idle interval) before it is published.
 */
async function placeAndWake(pool: Queryable, orders: readonly NewOrder[]): Promise<PlacementResult[]> {
  const results = await placeOrders(pool, orders);
  if (results.some((result) => result.placed)) signalOutboxCommit(pool as Parameters<typeof signalOutboxCommit>[0]);
  return results;
}

/** Places one order alone, in one statement. */
export async function placeOrder(
  dependencies: PlaceOrderDependencies,
  command: PlaceOrderCommand,
  idempotencyKey: string | undefined,
): Promise<PlacedOrder> {
  const order = newOrder(dependencies, command, idempotencyKey);
  const [result] = await placeAndWake(dependencies.pool, [order]);
  if (result === undefined)
    throw platformError('PLT_UNEXPECTED', 'the placement statement returned no result for an order');
  return answer(order, result);
}

interface Pending {
  readonly order: NewOrder;
  resolve(placed: PlacedOrder): void;
  reject(error: unknown): void;
}

export interface OrderPlacementsOptions extends PlaceOrderDependencies {
  /** Default: MAX_PLACEMENTS_PER_STATEMENT. */
  maxPerStatement?: number;
  /** Default: MAX_PLACEMENTS_IN_FLIGHT. */
  maxInFlight?: number;
}

/** Group commit of placements (see the file's comment). */
export class OrderPlacements {
  readonly #options: OrderPlacementsOptions;
  readonly #maxPerStatement: number;
  readonly #maxInFlight: number;
  #queue: Pending[] = [];
  #inFlight = 0;

  constructor(options: OrderPlacementsOptions) {
    this.#options = options;
    this.#maxPerStatement = options.maxPerStatement ?? MAX_PLACEMENTS_PER_STATEMENT;
    this.#maxInFlight = options.maxInFlight ?? MAX_PLACEMENTS_IN_FLIGHT;
  }

  /** Requests waiting for a placement statement (not yet sent). */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves once the order (or the replayed one) is committed; rejects when it was not placed. */
  place(command: PlaceOrderCommand, idempotencyKey: string | undefined): Promise<PlacedOrder> {
    const order = newOrder(this.#options, command, idempotencyKey);
    return new Promise((resolve, reject) => {
      this.#queue.push({ order, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxPerStatement);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #run(batch: readonly Pending[]): Promise<void> {
    // One statement claims a (customer, key) once: a repeat within the batch is answered from the first.
    const first = new Map<string, Pending>();
    const repeats: Array<{ pending: Pending; of: Pending }> = [];
    const unique: Pending[] = [];
    for (const pending of batch) {
      const key = pending.order.idempotency;
      const scope = key === undefined ? undefined : `${pending.order.command.customerId}\u0000${key.key}`;
      const earlier = scope === undefined ? undefined : first.get(scope);
      if (earlier !== undefined) {
        repeats.push({ pending, of: earlier });
        continue;
      }
      if (scope !== undefined) first.set(scope, pending);
      unique.push(pending);
    }
    let results: PlacementResult[];
    try {
      results = await placeAndWake(
        this.#options.pool,
        unique.map((pending) => pending.order),
      );
    } catch (error) {
      if (unique.length > 1 && classifyFailure(error).kind !== 'infrastructure') {
        // Something about one request (nothing was written): place each alone, so only its own fails.
        await Promise.all(unique.map((pending) => this.#alone(pending)));
        // Their first requests are settled now: placed again, the repeats find the key's holder.
        this.#queue.unshift(...repeats.map((repeat) => repeat.pending));
        return;
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    const outcome = new Map<Pending, PlacementResult>();
    unique.forEach((pending, index) => {
      const result = results[index];
      if (result !== undefined) outcome.set(pending, result);
    });
    const settle = (pending: Pending, result: PlacementResult | undefined) => {
      if (result === undefined) {
        pending.reject(platformError('PLT_UNEXPECTED', 'the placement statement returned no result for an order'));
        return;
      }
      try {
        pending.resolve(answer(pending.order, result));
      } catch (error) {
        pending.reject(error);
      }
    };
    for (const pending of unique) settle(pending, outcome.get(pending));
    for (const { pending, of } of repeats) {
      const result = outcome.get(of);
      // The first request's order now holds the key: the repeat is its replay (or a reuse of the key).
      settle(
        pending,
        result?.placed === true
          ? { placed: false, orderId: of.order.id, fingerprint: of.order.idempotency?.fingerprint ?? '' }
          : result,
      );
    }
  }

  async #alone(pending: Pending): Promise<void> {
    try {
      const [result] = await placeAndWake(this.#options.pool, [pending.order]);
      if (result === undefined)
        throw platformError('PLT_UNEXPECTED', 'the placement statement returned no result for an order');
      pending.resolve(answer(pending.order, result));
    } catch (error) {
      pending.reject(error);
    }
  }
}
