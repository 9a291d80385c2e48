/**
 * PaymentRefunded: reply to RefundPayment. `amount` is what was actually refunded: zero when nothing
 * had been captured for the payment, never more than was captured. A repeated RefundPayment with the
 * same refundId gets the same answer and moves no money.
 */
import { Type } from 'typebox';
import { Money, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID, EXAMPLE_PAYMENT_ID, EXAMPLE_REFUND_ID } from './examples.ts';

export const PaymentRefundedV1 = defineEvent({
  type: 'PaymentRefunded',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'Reply to RefundPayment: the amount actually refunded (zero if nothing was captured).',
  schema: Type.Object(
    {
      orderId: Uuid('Order whose payment was refunded.'),
      paymentId: Uuid('The refunded charge.'),
      refundId: Uuid('The refund, as sent in RefundPayment.'),
      amount: Money('Amount refunded; 0 when nothing had been captured.'),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    paymentId: EXAMPLE_PAYMENT_ID,
    refundId: EXAMPLE_REFUND_ID,
    amount: { amountMinor: 4499, currency: 'EUR' },
  },
});
