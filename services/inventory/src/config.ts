/**
 * The Inventory Service's own settings (beyond the platform's PORT, DATABASE_URL, KAFKA_*, ...), read
 * from the environment the service is started with and validated once at start-up.
 */
import { type Env, loadEnv } from '@shop/platform';
import Type from 'typebox';

export const InventoryEnvSchema = Type.Object({
  /** `true` inserts the missing demo products at start (never resets stock). Default: false; `npm start` sets it. */
  SEED_DEMO_CATALOG: Type.Boolean({ default: false }),
});

export interface InventoryConfig {
  /** Insert the missing demo products at start. */
  readonly seedDemoCatalog: boolean;
}

/** Throws PLT_CONFIG_INVALID naming every invalid variable. */
export function loadInventoryConfig(env: Env): InventoryConfig {
  const raw = loadEnv(InventoryEnvSchema, env);
  return Object.freeze({ seedDemoCatalog: raw.SEED_DEMO_CATALOG });
}
