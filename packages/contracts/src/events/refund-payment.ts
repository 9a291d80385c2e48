/**
 * RefundPayment: compensation. The order saga asks the Payment Service to refund a captured payment
 * (customer cancellation after capture, or a charge whose outcome the saga gave up waiting for).
 */
import { Type } from 'typebox';
import { Money, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID, EXAMPLE_PAYMENT_ID, EXAMPLE_REFUND_ID } from './examples.ts';

export const RefundPaymentV1 = defineEvent({
  type: 'RefundPayment',
  version: 1,
  kind: 'command',
  key: 'orderId',
  summary: 'Compensation: the order saga asks the Payment Service to refund a payment.',
  replies: ['PaymentRefunded'],
  schema: Type.Object(
    {
      orderId: Uuid('Order whose payment is refunded.'),
      paymentId: Uuid('The charge to refund.'),
      refundId: Uuid('Idempotency key of this refund at the provider; the same on every retry.'),
      amount: Money(
        'Most to refund. The Payment Service refunds at most what was captured and not yet refunded for paymentId.',
      ),
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
