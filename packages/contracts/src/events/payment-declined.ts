/**
 * PaymentDeclined: reply to ChargePayment; the provider (or the command's expiry) refused the charge
 * and nothing was captured. A decline is a business answer, distinct from an error: errors produce no
 * reply and are retried.
 */
import { Type } from 'typebox';
import { Reason, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID, EXAMPLE_PAYMENT_ID } from './examples.ts';

/** Why a charge was declined. Closed: see ORDER_CANCEL_REASONS for the evolution rule. */
export const PAYMENT_DECLINE_REASONS = [
  'INSUFFICIENT_FUNDS',
  'CARD_DECLINED',
  'SUSPECTED_FRAUD',
  'NO_PAYMENT_METHOD',
  'CHARGE_EXPIRED',
] as const;

export const PaymentDeclinedV1 = defineEvent({
  type: 'PaymentDeclined',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'Reply to ChargePayment: declined, nothing captured; the saga releases the stock and cancels.',
  schema: Type.Object(
    {
      orderId: Uuid('Order whose charge was declined.'),
      paymentId: Uuid('The charge, as sent in ChargePayment.'),
      reason: Reason(PAYMENT_DECLINE_REASONS, 'Why the charge was declined.'),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    paymentId: EXAMPLE_PAYMENT_ID,
    reason: { code: 'INSUFFICIENT_FUNDS', message: 'The card issuer declined the payment.' },
  },
});
