/**
 * ChargePayment: the order saga asks the Payment Service to authorise and capture the order's total.
 * `paymentId` is the idempotency key passed to the provider: the saga re-sends the same command with
 * the same paymentId when the step times out, and the provider captures at most once per paymentId.
 */
import { Type } from 'typebox';
import { Money, UtcTimestamp, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_CHARGE_EXPIRES_AT, EXAMPLE_CUSTOMER_ID, EXAMPLE_ORDER_ID, EXAMPLE_PAYMENT_ID } from './examples.ts';

export const ChargePaymentV1 = defineEvent({
  type: 'ChargePayment',
  version: 1,
  kind: 'command',
  key: 'orderId',
  summary: 'The order saga asks the Payment Service to capture the order total.',
  replies: ['PaymentCaptured', 'PaymentDeclined'],
  schema: Type.Object(
    {
      orderId: Uuid('Order being paid; the partition key, so a refund never overtakes its charge.'),
      paymentId: Uuid('Idempotency key of this charge at the provider; the same on every retry of the step.'),
      customerId: Uuid('Customer whose stored payment method is charged (no card data travels on Kafka).'),
      amount: Money('Amount to capture: the reserved total.'),
      expiresAt: UtcTimestamp(
        'After this instant the Payment Service must not capture and answers PaymentDeclined (CHARGE_EXPIRED): the saga has given up on the step and compensates.',
      ),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    paymentId: EXAMPLE_PAYMENT_ID,
    customerId: EXAMPLE_CUSTOMER_ID,
    amount: { amountMinor: 4499, currency: 'EUR' },
    expiresAt: EXAMPLE_CHARGE_EXPIRES_AT,
  },
});
