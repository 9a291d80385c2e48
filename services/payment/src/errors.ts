/**
 * The closed set of Payment Service error codes. Each has a fixed HTTP status (where it reaches HTTP)
 * and retry flag: the consumer runner sends a retryable error through the retry tiers and a
 * non-retryable one to the dead-letter topic. Listed in docs/errors.md (generated; a test fails when it
 * drifts).
 */
import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

export const PAYMENT_ERRORS = {
  PAY_PROVIDER_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description: 'The gateway failed or is in an outage; nothing is known to have happened. Retried.',
  },
  PAY_PROVIDER_TIMEOUT: {
    httpStatus: 504,
    retryable: true,
    description:
      'The gateway gave no answer within `PAYMENT_PROVIDER_TIMEOUT_MS`; it may still have captured, and the retry with the same idempotency key gets that outcome. Retried.',
  },
  PAY_IDEMPOTENCY_CONFLICT: {
    httpStatus: 409,
    retryable: false,
    description:
      'An idempotency key was reused for a different request (amount, currency or customer): a caller bug; dead-lettered.',
  },
  PAY_CURRENCY_MISMATCH: {
    httpStatus: 409,
    retryable: false,
    description: 'A RefundPayment in another currency than the captured charge; dead-lettered.',
  },
  PAY_UNEXPECTED_EVENT: {
    httpStatus: 500,
    retryable: false,
    description: 'An event type this consumer does not handle reached it; dead-lettered.',
  },
} as const satisfies Record<`PAY_${string}`, ErrorSpec>;

export type PaymentErrorCode = keyof typeof PAYMENT_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const paymentError: ErrorFactory<PaymentErrorCode> = errorFactory(PAYMENT_ERRORS);
