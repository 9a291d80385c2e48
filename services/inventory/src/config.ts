/**
 * The Inventory Service's own settings (beyond the platform's PORT, DATABASE_URL, KAFKA_*, ...), read
 * from the environment the service is started with and validated once at start-up.
 */
import { type Env, loadEnv } from '@shop/platform';
import Type from 'typebox';

export const InventoryEnvSchema = Type.Object({
  /** `true` inserts the missing demo products at start (never resets stock). Default: false; `npm start` sets it. */
  SEED_DEMO_CATALOG: Type.Boolean({ default: false }),
  /**
   * Injected slowness, for experiments only (the REST-versus-Kafka comparison): milliseconds added to every
   * reservation call, an HTTP reservation or a consumed batch of OrderPlaced, before it locks anything. Default 0.
   */
  INVENTORY_RESERVE_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
});

export interface InventoryConfig {
  /** Insert the missing demo products at start. */
  readonly seedDemoCatalog: boolean;
  /** Milliseconds added to every reservation call (an experiment's fault; 0 in production). */
  readonly reserveDelayMs: number;
}

/** Throws PLT_CONFIG_INVALID naming every invalid variable. */
export function loadInventoryConfig(env: Env): InventoryConfig {
  const raw = loadEnv(InventoryEnvSchema, env);
  return Object.freeze({ seedDemoCatalog: raw.SEED_DEMO_CATALOG, reserveDelayMs: raw.INVENTORY_RESERVE_DELAY_MS });
}
