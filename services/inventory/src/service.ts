/**
 * The Inventory Service: owns the product catalog, its prices and its stock. Reserves every line of a
 * placed order all or nothing (reserveStock), commits or releases reservations on the order saga's
 * commands (settleReservations), and serves the catalog over HTTP.
 */
import { fileURLToPath } from 'node:url';
import { platformMigrations, type ServiceDefinition } from '@shop/platform';
import { registerInventoryRoutes } from './api/inventory-routes.ts';
import { registerReservationRoutes } from './api/reservation-routes.ts';
import { loadInventoryConfig } from './config.ts';
import { seedDemoCatalog } from './db/demo-catalog.ts';
import { createReserveStockHandler } from './events/reserve-stock.ts';
import { createSettleReservationsHandler } from './events/settle-reservations.ts';
import { createInventoryMetrics } from './metrics.ts';

export interface InventoryServiceOptions {
  /** Seed the demo catalog at start. Default: the SEED_DEMO_CATALOG variable of the environment the service starts with (false when unset). */
  seedDemoCatalog?: boolean;
}

export function createInventoryService(options: InventoryServiceOptions = {}): ServiceDefinition {
  return {
    name: 'inventory-service',
    defaultPort: 8082,
    defaultDatabase: 'inventory',
    migrations: [
      platformMigrations,
      { name: 'inventory-service', directory: fileURLToPath(new URL('./db/migrations/', import.meta.url)) },
    ],
    async start(context) {
      // The boot path is the one place that reads the environment (config.ts).
      const config = loadInventoryConfig(context.env);
      const seed = options.seedDemoCatalog ?? config.seedDemoCatalog;
      if (seed) {
        const inserted = await seedDemoCatalog(context.pool);
        context.logger.info({ inserted }, `demo catalog seeded (${inserted.length} products added)`);
      }
      const metrics = createInventoryMetrics(context.registry, context.pool, context.logger);
      registerInventoryRoutes(context.app, { pool: context.pool });
      registerReservationRoutes(context.app, { pool: context.pool, metrics, delayMs: config.reserveDelayMs });
      await context.consume('reserveStock', {
        handleBatch: createReserveStockHandler({ events: context.events, metrics, delayMs: config.reserveDelayMs }),
      });
      await context.consume('settleReservations', {
        handleBatch: createSettleReservationsHandler({ events: context.events, metrics }),
      });
    },
  };
}

export const inventoryService: ServiceDefinition = createInventoryService();
