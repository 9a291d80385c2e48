/**
 * The read use cases: an order with its saga, a customer's orders page by page. Reads need no transaction
 * (each is one statement, one snapshot) and decide nothing.
 */

import { type Queryable, StatementBatcher } from '@shop/platform';
import {
  countSagasByState,
  findOrdersWithSagas,
  findOrderWithSaga,
  isCustomersOrder,
  listOrders,
  type OrderRecord,
  type OrderWithSaga,
  orderExists,
} from '../db/order-reads.ts';
import type { OrderStatus } from '../domain/order.ts';
import { SAGA_STATES, type SagaState } from '../domain/saga/saga-model.ts';
import { orderError } from '../errors.ts';

export type { OrderRecord, OrderWithSaga, SagaRecord, SagaStepRecord } from '../db/order-reads.ts';

/** The order and its saga, or `undefined` when there is no such order (one statement of its own). */
export function findOrder(db: Queryable, orderId: string): Promise<OrderWithSaga | undefined> {
  return findOrderWithSaga(db, orderId);
}

/** Point reads one statement carries at most. */
export const MAX_ORDER_READS_PER_STATEMENT = 500;
/** Read statements running at once: keeps most of the request pool for placements. */
export const MAX_ORDER_READS_IN_FLIGHT = 2;

/**
 * `find` for many callers at once: the reads that arrive while one is running share the next statement
 * (`= ANY($1)`), so long polls woken together by one settling batch cost one round trip, not one each. An idle
 * service reads at once, alone.
 */
export class OrderReads {
  readonly #batcher: StatementBatcher<string, OrderWithSaga | undefined>;

  constructor(db: Queryable) {
    this.#batcher = new StatementBatcher({
      maxPerBatch: MAX_ORDER_READS_PER_STATEMENT,
      maxInFlight: MAX_ORDER_READS_IN_FLIGHT,
      run: async (ids) => {
        const found = await findOrdersWithSagas(db, [...new Set(ids)]);
        return ids.map((id) => found.get(id));
      },
    });
  }

  /** The order and its saga, or `undefined` when there is no such order. */
  find(orderId: string): Promise<OrderWithSaga | undefined> {
    return this.#batcher.submit(orderId);
  }
}

/** The order and its saga as they are now; ORD_NOT_FOUND when there is no such order. */
export async function getOrder(db: Queryable, orderId: string): Promise<OrderWithSaga> {
  const order = await findOrderWithSaga(db, orderId);
  if (order === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
  return order;
}

/**
 * Up to `limit` orders, newest first, of one customer and/or in a state (an order status, a saga state, or
 * both; across customers unless one is named), listed after the order `before`: a cursor that must name an
 * order of the listing's scope (ORD_UNKNOWN_CURSOR otherwise).
 */
export async function listOrderPage(
  db: Queryable,
  query: { status?: OrderStatus; sagaState?: SagaState; customerId?: string; limit: number; before?: string },
): Promise<OrderRecord[]> {
  const { customerId, before } = query;
  if (before !== undefined) {
    const known =
      customerId === undefined ? await orderExists(db, before) : await isCustomersOrder(db, before, customerId);
    if (!known)
      throw orderError(
        'ORD_UNKNOWN_CURSOR',
        `before names no order ${customerId === undefined ? '' : `of customer ${customerId}`}`.trim(),
      );
  }
  return listOrders(db, query);
}

/** How many sagas are in each state, every state named (0 when none is in it). */
export async function sagaSummary(db: Queryable): Promise<Record<SagaState, number>> {
  const counts = await countSagasByState(db);
  return Object.fromEntries(SAGA_STATES.map((state) => [state, counts.get(state) ?? 0])) as Record<SagaState, number>;
}
