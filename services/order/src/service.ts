/**
 * The Order Service: accepts orders (HTTP), runs each order's saga on Inventory's replies (`orderSaga`
 * consumer), and publishes OrderPlaced and the order outcomes through its outbox.
 */
import { fileURLToPath } from 'node:url';
import { platformMigrations } from '@shop/platform/platform-migrations';
import type { ServiceDefinition } from '@shop/platform/service';
import { closeConnectionsOnShutdown } from './api/close-on-shutdown.ts';
import { registerHttpMetrics } from './api/http-metrics.ts';
import { registerOrderRoutes } from './api/orders-routes.ts';
import { OrderStatusListener } from './db/order-status-listener.ts';
import { registerStateGauges } from './db/state-gauges.ts';
import { createOrderSagaHandler } from './events/order-saga-handler.ts';
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
    const { app, pool, events, registry, logger, shutdown } = context;
    const notifications = new OrderStatusListener({ databaseUrl: context.config.databaseUrl, logger });
    await notifications.start();
    // Registered before the HTTP server's closer, so it runs after it: the session outlives the requests.
    shutdown.register('order status listener', () => notifications.stop());
    // Long-polls would hold `app.close()` for up to their wait: answer them as soon as closing starts.
    closeConnectionsOnShutdown(app, () => notifications.releaseAll());

    const metrics = createOrderMetrics(registry, { waiters: () => notifications.subscriptions });
    registerStateGauges(registry, pool);
    registerHttpMetrics(app, registry);
    registerOrderRoutes(app, { pool, events, notifications, metrics });
    await context.consume('orderSaga', createOrderSagaHandler({ events, metrics }));
  },
};
