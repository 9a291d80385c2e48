/**
 * The Order Service: accepts orders (HTTP) and orchestrates each order's saga: reservation (Inventory),
 * payment (Payment), commit or compensations (release, refund), driven by replies (`orderSaga` consumer),
 * deadlines (the scanner) and the customer's cancellation; publishes OrderPlaced, the saga's commands and the
 * order outcomes through its outbox.
 */
import { fileURLToPath } from 'node:url';
import { platformError, platformMigrations, type ServiceDefinition } from '@shop/platform';
import { registerOrderRoutes } from './api/orders-routes.ts';
import { releaseWaitersOnClose } from './api/release-waiters-on-close.ts';
import type { SagaUseCaseDependencies } from './app/saga-dependencies.ts';
import { loadOrderSettings } from './config.ts';
import { SettlementWakeupHub } from './db/settlement-wakeup-hub.ts';
import { registerStateGauges } from './db/state-gauges.ts';
import { createOrderSagaHandler } from './events/order-saga-consumer.ts';
import { SagaDeadlineScanner } from './events/saga-deadline-scanner.ts';
import { InventoryClient } from './inventory/inventory-client.ts';
import { createOrderMetrics } from './metrics.ts';

export const orderService: ServiceDefinition = {
  name: 'order-service',
  defaultPort: 8081,
  defaultDatabase: 'orders',
  migrations: [
    platformMigrations,
    { name: 'order-service', directory: fileURLToPath(new URL('./db/migrations/', import.meta.url)) },
  ],
  async start(context) {
    const { app, pool, consumerPool, events, registry, logger, shutdown } = context;
    // The boot path is the one place that reads the environment.
    const settings = loadOrderSettings(context.env);
    // Wakes long-polls in-process after the transactions that settle their orders, and polls for orders
    // settled by another instance. Registered before the HTTP server's closer, so it runs after it.
    const wakeups = new SettlementWakeupHub({ pool, otherPools: [consumerPool], logger });
    shutdown.register('settlement wake-ups', async () => wakeups.stop());
    // Long-polls would hold `app.close()` for up to their wait: answer them as soon as closing starts.
    releaseWaitersOnClose(app, () => wakeups.releaseAll());

    const metrics = createOrderMetrics(registry, { waiters: () => wakeups.subscriptions });
    registerStateGauges(registry, pool, logger);
    // What every use case that changes a saga needs, whichever adapter drives it.
    const sagaDependencies: SagaUseCaseDependencies = {
      pool,
      logger,
      events,
      metrics,
      settings: settings.saga,
      wakeups,
    };
    // REST reservation mode: POST /orders reserves synchronously through Inventory's HTTP API, as the
    // `service` role (a token the platform mints from the local secret, or AUTH_SERVICE_TOKEN).
    const credential = context.serviceCredential;
    if (settings.reservationMode === 'rest' && credential === undefined) {
      throw platformError('PLT_CONFIG_INVALID', 'ORDER_RESERVATION_MODE=rest calls Inventory and needs a credential', {
        hint: 'Set AUTH_SERVICE_TOKEN to a token with the role `service` from the identity provider (or use AUTH_JWT_SECRET).',
      });
    }
    const reservations =
      settings.reservationMode === 'rest'
        ? new InventoryClient({
            baseUrl: settings.rest.inventoryUrl,
            timeoutMs: settings.rest.timeoutMs,
            retries: settings.rest.retries,
            breakerFailures: settings.rest.breakerFailures,
            breakerOpenMs: settings.rest.breakerOpenMs,
            credential: credential as () => Promise<string>,
          })
        : undefined;
    logger.info({ reservationMode: settings.reservationMode }, 'reservation mode');
    registerOrderRoutes(app, {
      ...sagaDependencies,
      waiters: wakeups,
      maxDbQueue: settings.maxDbQueue,
      placeOrderRateLimit: settings.placeOrderRateLimit,
      ...(reservations === undefined ? {} : { reservations, restReservationDeadlineMs: settings.rest.deadlineMs }),
    });
    await context.consume('orderSaga', { handleBatch: createOrderSagaHandler(sagaDependencies) });
    const deadlines = new SagaDeadlineScanner({ ...sagaDependencies, intervalMs: settings.deadlineScanIntervalMs });
    deadlines.start();
    shutdown.register('saga deadline scanner', () => deadlines.stop());
  },
};
