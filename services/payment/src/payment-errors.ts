/**
 * The closed set of Payment Service error codes. Each has a fixed HTTP status (where it reaches HTTP)
 * and retry flag: the consumer runner sends a retryable error through the retry tiers and a
 * non-retryable one to the dead-letter topic. Every code is documented in services/payment/README.md
 * (a test fails when one is missing).
 */
import { type ErrorFactory, errorFactory } from '@shop/platform';

export const PaymentErrors = {
  /** Provider: the gateway is unreachable or in an outage; nothing is known to have happened. Retried. */
  PAY_PROVIDER_UNAVAILABLE: { httpStatus: 503, retryable: true },
  /**
   * Provider: the gateway did not answer in time (PAYMENT_PROVIDER_TIMEOUT_MS). It may still have
   * captured: the retry uses the same idempotency key and gets that outcome. Retried.
   */
  PAY_PROVIDER_TIMEOUT: { httpStatus: 504, retryable: true },
  /**
   * Provider: the same idempotency key was used with a different request (amount, currency or customer).
   * A bug in the caller: retrying cannot help (dead letter).
   */
  PAY_IDEMPOTENCY_CONFLICT: { httpStatus: 409, retryable: false },
  /** Consumer (dead letter): a RefundPayment in another currency than the captured charge. */
  PAY_CURRENCY_MISMATCH: { httpStatus: 409, retryable: false },
  /** Consumer (dead letter): an event type this consumer does not handle reached it. */
  PAY_UNEXPECTED_EVENT: { httpStatus: 500, retryable: false },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean }>;

export type PaymentErrorCode = keyof typeof PaymentErrors;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const paymentError: ErrorFactory<PaymentErrorCode> = errorFactory(PaymentErrors);
