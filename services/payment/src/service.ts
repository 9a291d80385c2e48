/**
 * The Payment Service: charges and refunds orders on the order saga's commands (processPayments),
 * through a PaymentProvider port; ships a simulated gateway. Serves `GET /payments?orderId=`.
 */
import { fileURLToPath } from 'node:url';
import { createPool, type Pool, platformMigrations, type ServiceDefinition } from '@shop/platform';
import { registerPaymentRoutes } from './api/payment-routes.ts';
import { PROVIDER_CONCURRENCY } from './app/process-payments.ts';
import { loadPaymentConfig } from './config.ts';
import { simulatedDecision } from './domain/simulated-decision.ts';
import { createProcessPaymentsHandler } from './events/process-payments.ts';
import { createPaymentMetrics } from './metrics.ts';
import { instrumentProvider } from './provider/instrumented-provider.ts';
import type { PaymentProvider } from './provider/payment-provider.ts';
import { withProviderTimeout } from './provider/provider-timeout.ts';
import { SimulatedPaymentProvider } from './provider/simulated-provider.ts';

/**
 * Connections of the simulated gateway's own pool. It plays an external gateway, so it never takes a
 * connection from the service's pool, where a batch transaction waiting for its gateway calls would
 * otherwise compete with them; one batch has at most PROVIDER_CONCURRENCY calls in flight.
 */
export const SIMULATED_PROVIDER_POOL_SIZE = PROVIDER_CONCURRENCY;

export interface PaymentServiceOptions {
  /**
   * Builds the gateway on a pool of its own (SIMULATED_PROVIDER_POOL_SIZE connections to the service's
   * database, where the simulated gateway keeps its state). Default: the simulated gateway configured from
   * PAYMENT_DECLINE_RATE, PAYMENT_PROVIDER_LATENCY_MS and PAYMENT_PROVIDER_SEED.
   */
  provider?: (pool: Pool) => PaymentProvider;
  /** Deadline of one gateway call in ms. Default: PAYMENT_PROVIDER_TIMEOUT_MS (10000 when unset). */
  providerTimeoutMs?: number;
  /** The clock compared with ChargePayment.expiresAt. Default: the system clock. */
  now?: () => Date;
}

export function createPaymentService(options: PaymentServiceOptions = {}): ServiceDefinition {
  return {
    name: 'payment-service',
    defaultPort: 8083,
    defaultDatabase: 'payments',
    migrations: [
      platformMigrations,
      { name: 'payment-service', directory: fileURLToPath(new URL('./db/migrations/', import.meta.url)) },
    ],
    async start(context) {
      // The boot path is the one place that reads the environment (config.ts).
      const config = loadPaymentConfig(context.env);
      const gatewayPool = createPool(context.config.databaseUrl, {
        max: SIMULATED_PROVIDER_POOL_SIZE,
        applicationName: `${context.config.service} simulated-gateway`,
      });
      context.shutdown.register('simulated gateway pool', () => gatewayPool.end());
      const gateway =
        options.provider?.(gatewayPool) ??
        new SimulatedPaymentProvider(gatewayPool, {
          latencyMs: config.providerLatencyMs,
          decide: simulatedDecision(config.providerSeed, config.declineRate, config.declineCustomerIds),
        });
      // The histogram wraps the deadline: a timed-out call is counted as an error at its deadline.
      const provider = withProviderTimeout(gateway, options.providerTimeoutMs ?? config.providerTimeoutMs);
      const metrics = createPaymentMetrics(context.registry);
      registerPaymentRoutes(context.app, { pool: context.pool });
      await context.consume('processPayments', {
        handleBatch: createProcessPaymentsHandler({
          events: context.events,
          provider: instrumentProvider(provider, metrics),
          metrics,
          now: options.now ?? (() => new Date()),
        }),
      });
    },
  };
}

export const paymentService: ServiceDefinition = createPaymentService();
