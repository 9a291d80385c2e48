/**
 * OrderCancelled: the order is CANCELLED, whether it never got stock, its payment was declined, a
 * saga step timed out, or the customer cancelled it (then after a refund). The Notification Service
 * tells the customer why, and what was refunded.
 */
import { Type } from 'typebox';
import { CustomerContact, Money, Reason, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';

/**
 * Why an order was cancelled. Closed on purpose: a consumer on an older version must understand every
 * code it can receive, so a new code is a new event version deployed to consumers first (see the
 * evolution policy in docs/design/contracts.md).
 */
export const ORDER_CANCEL_REASONS = [
  'ITEMS_UNAVAILABLE',
  'PAYMENT_DECLINED',
  'CUSTOMER_CANCELLED',
  'PROCESSING_TIMEOUT',
] as const;

export const OrderCancelledV1 = defineEvent({
  type: 'OrderCancelled',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'The order is CANCELLED, with the reason and any refund; the Notification Service tells the customer.',
  schema: Type.Object(
    {
      orderId: Uuid('Cancelled order.'),
      contact: CustomerContact('Where to send the cancellation notice.'),
      reason: Reason(ORDER_CANCEL_REASONS, 'Why the order was cancelled.'),
      refunded: Type.Optional(Money('Amount refunded to the customer; absent when nothing had been captured.')),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    contact: { email: 'ada@example.com' },
    reason: { code: 'ITEMS_UNAVAILABLE', message: 'MUG-RED: only 1 left; MUG-GOLD: not sold here.' },
  },
});
