/**
 * Bounds every gateway call by a deadline. A call that has not answered in time fails with the
 * retryable PAY_PROVIDER_TIMEOUT; the gateway may still complete it (a lost response), which is why
 * the retry must use the same idempotency key: it then gets that outcome instead of a second capture.
 */
import { withDeadline } from '@shop/platform';
import { paymentError } from '../errors.ts';
import type { PaymentProvider } from './payment-provider.ts';

/** Default deadline of one gateway call. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

export function withProviderTimeout(
  provider: PaymentProvider,
  timeoutMs = DEFAULT_PROVIDER_TIMEOUT_MS,
): PaymentProvider {
  // The abandoned call keeps running; its late result or error is deliberately dropped (the retry asks again).
  const bounded = <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    withDeadline(call, {
      timeoutMs,
      onTimeout: () =>
        paymentError('PAY_PROVIDER_TIMEOUT', `Gateway ${operation} gave no answer within ${timeoutMs} ms`),
    });
  return {
    authorizeAndCapture: (request, options) =>
      bounded('authorizeAndCapture', () => provider.authorizeAndCapture(request, options)),
    refund: (request, options) => bounded('refund', () => provider.refund(request, options)),
    findCharge: (key) => bounded('findCharge', () => provider.findCharge(key)),
  };
}
