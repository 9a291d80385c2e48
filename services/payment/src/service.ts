/**
 * The Payment Service: charges and refunds orders on the order saga's commands (processPayments),
 * through a PaymentProvider port; ships a simulated gateway. Serves `GET /payments?orderId=`.
 */
import { fileURLToPath } from 'node:url';
import { createPool, loadEnv, type Pool, platformMigrations, type ServiceDefinition } from '@shop/platform';
import Type from 'typebox';
import { registerPaymentRoutes } from './api/payment-routes.ts';
import { simulatedDecision } from './domain/simulated-decision.ts';
import { instrumentProvider } from './events/instrumented-provider.ts';
import { createPaymentMetrics } from './events/payment-metrics.ts';
import { createProcessPaymentsHandler, PROVIDER_CONCURRENCY } from './events/process-payments.ts';
import type { PaymentProvider } from './provider/payment-provider.ts';
import { DEFAULT_PROVIDER_TIMEOUT_MS, withProviderTimeout } from './provider/provider-timeout.ts';
import { DEFAULT_SIMULATED_SEED, SimulatedPaymentProvider } from './provider/simulated-provider.ts';

/** Empty, or UUIDs separated by commas. */
const UUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const DECLINE_CUSTOMER_IDS_PATTERN = `^(${UUID_PATTERN}(,${UUID_PATTERN})*)?$`;

/** Settings of this service beyond the platform's (PORT, DATABASE_URL, KAFKA_*, RETRY_DELAYS_MS, ...). */
export const PaymentEnvSchema = Type.Object({
  /** Share of charges the simulated gateway declines, 0..1. Default: 0. */
  PAYMENT_DECLINE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  /** Latency added to every simulated gateway call, in ms. Default: 0. */
  PAYMENT_PROVIDER_LATENCY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  /** Deadline of one gateway call, in ms (any gateway); a late call fails with PAY_PROVIDER_TIMEOUT. Default: 10000. */
  PAYMENT_PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 120_000, default: DEFAULT_PROVIDER_TIMEOUT_MS }),
  /** Seed of the simulated gateway's decline decisions. Default: 'simulated-provider'. */
  PAYMENT_PROVIDER_SEED: Type.String({ minLength: 1, default: DEFAULT_SIMULATED_SEED }),
  /**
   * Comma-separated customer ids whose stored card the simulated gateway always declines (CARD_DECLINED), like
   * a sandbox's test cards: a declined payment can be shown on demand. Default: none; `npm start` sets a demo one.
   */
  PAYMENT_DECLINE_CUSTOMER_IDS: Type.String({ default: '', pattern: DECLINE_CUSTOMER_IDS_PATTERN }),
});

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
      // The boot path is the one place that reads the environment (see CONVENTIONS, config).
      const env = loadEnv(PaymentEnvSchema, context.env);
      const gatewayPool = createPool(context.config.databaseUrl, {
        max: SIMULATED_PROVIDER_POOL_SIZE,
        applicationName: `${context.config.service} simulated-gateway`,
      });
      context.shutdown.register('simulated gateway pool', () => gatewayPool.end());
      const gateway =
        options.provider?.(gatewayPool) ??
        new SimulatedPaymentProvider(gatewayPool, {
          latencyMs: env.PAYMENT_PROVIDER_LATENCY_MS,
          decide: simulatedDecision(
            env.PAYMENT_PROVIDER_SEED,
            env.PAYMENT_DECLINE_RATE,
            new Set(
              env.PAYMENT_DECLINE_CUSTOMER_IDS.split(',')
                .filter(Boolean)
                .map((id) => id.toLowerCase()),
            ),
          ),
        });
      // The histogram wraps the deadline: a timed-out call is counted as an error at its deadline.
      const provider = withProviderTimeout(gateway, options.providerTimeoutMs ?? env.PAYMENT_PROVIDER_TIMEOUT_MS);
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
