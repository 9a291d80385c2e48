/** The JSON an order is shown as (GET /orders/{id} and the listing). */

import type { OrderRecord } from '../db/order-repository.ts';
import { PENDING_MESSAGE } from '../domain/order.ts';

export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderRecord['status'];
  items: { sku: string; quantity: number }[];
  /** The amount quoted by the reservation, once known. */
  total?: { amountMinor: number; currency: string };
  cancelReason?: { code: string; message: string };
  /** Only while PENDING: tells the customer the order is accepted and being confirmed. */
  message?: string;
  createdAt: string;
  updatedAt: string;
  settledAt?: string;
}

export function toOrderView(order: OrderRecord): OrderView {
  return {
    orderId: order.id,
    customerId: order.customerId,
    status: order.status,
    items: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
    ...(order.total === undefined ? {} : { total: { ...order.total } }),
    ...(order.cancelReason === undefined ? {} : { cancelReason: { ...order.cancelReason } }),
    ...(order.status === 'PENDING' ? { message: PENDING_MESSAGE } : {}),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    ...(order.settledAt === undefined ? {} : { settledAt: order.settledAt.toISOString() }),
  };
}
