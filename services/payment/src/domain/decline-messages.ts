/** The human-readable message sent with each decline reason code (clients branch on the code only). */
import type { PaymentDeclineReason } from './simulated-decision.ts';

export const DECLINE_MESSAGES: Readonly<Record<PaymentDeclineReason, string>> = {
  INSUFFICIENT_FUNDS: 'The card issuer declined the payment: insufficient funds.',
  CARD_DECLINED: 'The card issuer declined the payment.',
  SUSPECTED_FRAUD: 'The payment was declined as suspected fraud.',
  NO_PAYMENT_METHOD: 'The customer has no stored payment method.',
  CHARGE_EXPIRED: 'The charge request expired before it could be captured.',
};
