/** The JSON an order is shown as (GET /orders/{id} and the listing). */

import type { OrderRecord, OrderWithSaga, SagaStepRecord } from '../app/order-queries.ts';
import { PENDING_MESSAGE } from '../domain/order.ts';

export interface SagaStepView {
  step: SagaStepRecord['step'];
  attempt: number;
  status: SagaStepRecord['status'];
  startedAt: string;
  finishedAt: string | null;
  /** When an open attempt's reply is due (absent once answered, or while waiting for an operator). */
  deadlineAt?: string;
}

export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderRecord['status'];
  items: { sku: string; quantity: number }[];
  /** The amount quoted by the reservation, once known. */
  total?: { amountMinor: number; currency: string };
  cancelReason?: { code: string; message: string };
  /** What was refunded to the customer, once the refund is done. */
  refunded?: { amountMinor: number; currency: string };
  /** Only while PENDING: tells the customer the order is accepted and being confirmed. */
  message?: string;
  createdAt: string;
  updatedAt: string;
  settledAt?: string;
  /** The saga behind the status: its state and every step attempt with its times (GET /orders/{id} only). */
  saga?: { state: string; steps: SagaStepView[] };
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

function toStepView(step: SagaStepRecord): SagaStepView {
  return {
    step: step.step,
    attempt: step.attempt,
    status: step.status,
    startedAt: step.startedAt.toISOString(),
    finishedAt: step.finishedAt?.toISOString() ?? null,
    ...(step.deadlineAt === undefined ? {} : { deadlineAt: step.deadlineAt.toISOString() }),
  };
}

/** The full view of one order: the order with its saga (read by `findOrderWithSaga`; not used for listings). */
export function orderResponse(order: OrderWithSaga): OrderView {
  const view = toOrderView(order);
  const { saga } = order;
  if (saga === undefined) return view;
  return {
    ...view,
    ...(saga.refunded === undefined || saga.refunded === 0 || order.total === undefined
      ? {}
      : { refunded: { amountMinor: saga.refunded, currency: order.total.currency } }),
    saga: { state: saga.state, steps: saga.steps.map(toStepView) },
  };
}
