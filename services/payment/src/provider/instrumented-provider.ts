/** Wraps a PaymentProvider so every call is timed in the provider histogram, errors included. */
import type { PaymentMetrics } from '../metrics.ts';
import type { PaymentProvider } from './payment-provider.ts';

export function instrumentProvider(provider: PaymentProvider, metrics: PaymentMetrics): PaymentProvider {
  async function timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const end = metrics.providerCalls.startTimer({ operation });
    try {
      const value = await call();
      end({ result: 'ok' });
      return value;
    } catch (error) {
      // Timed and rethrown: the caller decides (retry tier or dead letter).
      end({ result: 'error' });
      throw error;
    }
  }
  return {
    authorizeAndCapture: (request, options) =>
      timed('authorizeAndCapture', () => provider.authorizeAndCapture(request, options)),
    refund: (request, options) => timed('refund', () => provider.refund(request, options)),
    findCharge: (key) => timed('findCharge', () => provider.findCharge(key)),
  };
}
