/** PaymentCaptured: reply to ChargePayment; the money is captured. */
import { Type } from 'typebox';
import { Money, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID, EXAMPLE_PAYMENT_ID } from './examples.ts';

export const PaymentCapturedV1 = defineEvent({
  type: 'PaymentCaptured',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'Reply to ChargePayment: the amount is captured; the saga confirms the order.',
  schema: Type.Object(
    {
      orderId: Uuid('Order paid.'),
      paymentId: Uuid('The charge, as sent in ChargePayment.'),
      amount: Money('Amount captured; what a later refund may return at most.'),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    paymentId: EXAMPLE_PAYMENT_ID,
    amount: { amountMinor: 4499, currency: 'EUR' },
  },
});
