/**
 * The Payment Service's own Prometheus metrics, on the service's registry (served at /metrics).
 * Outcome counters are incremented when the handler has decided, inside its transaction: a transaction
 * that then fails to commit is retried and counted again, so they can over-count by those rare retries.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Buckets of the provider call histogram, in seconds: a local simulation to a slow gateway. */
export const PROVIDER_LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a ChargePayment ended: captured, declined by the gateway, expired, or answered from the record. */
export type ChargeOutcome = 'captured' | 'declined' | 'expired' | 'repeated';

/** How a RefundPayment ended: money returned, nothing to return, or answered from the record. */
export type RefundOutcome = 'refunded' | 'nothing' | 'repeated';

export interface PaymentMetrics {
  charges: Counter<'outcome'>;
  refunds: Counter<'outcome'>;
  refundedMinor: Counter<'currency'>;
  providerCalls: Histogram<'operation' | 'result'>;
}

export function createPaymentMetrics(registry: Registry): PaymentMetrics {
  return {
    charges: new Counter({
      name: 'payment_charges_total',
      help: 'ChargePayment commands decided, by outcome (captured, declined, expired, repeated)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refunds: new Counter({
      name: 'payment_refunds_total',
      help: 'RefundPayment commands decided, by outcome (refunded, nothing, repeated)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refundedMinor: new Counter({
      name: 'payment_refunded_minor_total',
      help: 'Money refunded, in minor units, by currency',
      labelNames: ['currency'],
      registers: [registry],
    }),
    providerCalls: new Histogram({
      name: 'payment_provider_call_seconds',
      help: 'Duration of payment gateway calls, by operation and result (ok, error)',
      labelNames: ['operation', 'result'],
      buckets: PROVIDER_LATENCY_BUCKETS_S,
      registers: [registry],
    }),
  };
}
