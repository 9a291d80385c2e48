/**
 * The read use cases: an order with its saga, a customer's orders page by page. Reads need no transaction
 * (each is one statement, one snapshot) and decide nothing.
 */

import type { Queryable } from '@shop/platform';
import {
  findOrderWithSaga,
  isCustomersOrder,
  listOrders,
  type OrderRecord,
  type OrderWithSaga,
} from '../db/order-reads.ts';
import { orderError } from '../errors.ts';

export type { OrderRecord, OrderWithSaga, SagaRecord, SagaStepRecord } from '../db/order-reads.ts';

/** The order and its saga, or `undefined` when there is no such order. */
export function findOrder(db: Queryable, orderId: string): Promise<OrderWithSaga | undefined> {
  return findOrderWithSaga(db, orderId);
}

/** The order and its saga as they are now; ORD_NOT_FOUND when there is no such order. */
export async function getOrder(db: Queryable, orderId: string): Promise<OrderWithSaga> {
  const order = await findOrderWithSaga(db, orderId);
  if (order === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
  return order;
}

/**
 * Up to `limit` orders of `customerId`, newest first, listed after the order `before` (a cursor that must
 * name one of the customer's orders: ORD_UNKNOWN_CURSOR otherwise).
 */
export async function listCustomerOrders(
  db: Queryable,
  query: { customerId: string; limit: number; before?: string },
): Promise<OrderRecord[]> {
  const { customerId, before } = query;
  if (before !== undefined && !(await isCustomersOrder(db, before, customerId))) {
    throw orderError('ORD_UNKNOWN_CURSOR', `before names no order of customer ${customerId}`);
  }
  return listOrders(db, query);
}
