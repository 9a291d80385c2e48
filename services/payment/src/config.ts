/**
 * The Payment Service's own settings (beyond the platform's PORT, DATABASE_URL, KAFKA_*, RETRY_DELAYS_MS,
 * ...), read from the environment the service is started with and validated once at start-up.
 */
import { type Env, loadEnv } from '@shop/platform';
import Type from 'typebox';
import { DEFAULT_PROVIDER_TIMEOUT_MS } from './provider/provider-timeout.ts';
import { DEFAULT_SIMULATED_SEED } from './provider/simulated-provider.ts';

/** Empty, or UUIDs separated by commas. */
const UUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const DECLINE_CUSTOMER_IDS_PATTERN = `^(${UUID_PATTERN}(,${UUID_PATTERN})*)?$`;

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

export interface PaymentConfig {
  readonly declineRate: number;
  readonly providerLatencyMs: number;
  readonly providerTimeoutMs: number;
  readonly providerSeed: string;
  /** Lower-case customer ids the simulated gateway always declines. */
  readonly declineCustomerIds: ReadonlySet<string>;
}

/** Throws PLT_CONFIG_INVALID naming every invalid variable. */
export function loadPaymentConfig(env: Env): PaymentConfig {
  const raw = loadEnv(PaymentEnvSchema, env);
  return Object.freeze({
    declineRate: raw.PAYMENT_DECLINE_RATE,
    providerLatencyMs: raw.PAYMENT_PROVIDER_LATENCY_MS,
    providerTimeoutMs: raw.PAYMENT_PROVIDER_TIMEOUT_MS,
    providerSeed: raw.PAYMENT_PROVIDER_SEED,
    declineCustomerIds: new Set(
      raw.PAYMENT_DECLINE_CUSTOMER_IDS.split(',')
        .filter(Boolean)
        .map((id) => id.toLowerCase()),
    ),
  });
}
