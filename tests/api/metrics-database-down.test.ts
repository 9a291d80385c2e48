/**
 * Regression: /metrics answered 500 PLT_UNEXPECTED while a service's database refused connections, because
 * gauges read at scrape time (the outbox backlog, the Order Service's order states, the Inventory Service's
 * stock) threw inside prom-client's collect, which fails the whole scrape. Metrics must stay scrapeable
 * exactly when the database is the problem.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLLECT_ERRORS_METRIC, type RunningService, type ServiceDefinition } from '@shop/platform';
import { createTestNamespace, startTestService, testPostgresUrl } from '@shop/test-support';
import pg from 'pg';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { notificationService } from '../../services/notification/src/service.ts';
import { orderService } from '../../services/order/src/service.ts';
import { createPaymentService } from '../../services/payment/src/service.ts';

/** Each service with the gauges it reads from its database at scrape time. */
const SERVICES: ReadonlyArray<{ definition: ServiceDefinition; gauges: readonly string[] }> = [
  { definition: orderService, gauges: ['outbox_backlog', 'orders_pending', 'order_sagas'] },
  { definition: inventoryService, gauges: ['outbox_backlog', 'inventory_stock_units'] },
  { definition: createPaymentService(), gauges: ['outbox_backlog'] },
  { definition: notificationService, gauges: ['outbox_backlog'] },
];

async function scrape(service: RunningService): Promise<{ status: number; body: string }> {
  const response = await fetch(`${service.url}/metrics`);
  return { status: response.status, body: await response.text() };
}

/** Makes the service's database refuse every connection and ends the ones it has; returns the undo. */
async function refuseConnections(service: RunningService): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: await testPostgresUrl() });
  await admin.connect();
  const name = service.context.config.databaseName;
  await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
  // Waits (up to 5 s each) until the sessions are gone, so the next read needs a new connection.
  await admin.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1', [name]);
  return async () => {
    await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
    await admin.end();
  };
}

for (const { definition, gauges } of SERVICES) {
  test(`${definition.name} should answer /metrics with 200 while its database refuses connections`, async (t) => {
    const namespace = await createTestNamespace(t, 'metrics-db-down');
    const service = await startTestService(t, definition, { namespace });
    const healthy = await scrape(service);
    assert.equal(healthy.status, 200);
    for (const gauge of gauges) assert.match(healthy.body, new RegExp(`^# TYPE ${gauge} gauge$`, 'm'));

    const restore = await refuseConnections(service);
    try {
      const down = await scrape(service);
      assert.equal(down.status, 200, down.body.slice(0, 500));
      for (const gauge of gauges) {
        assert.match(
          down.body,
          new RegExp(`^${COLLECT_ERRORS_METRIC}\\{gauge="${gauge}"\\} [1-9]`, 'm'),
          `the failed read of ${gauge} is counted`,
        );
      }
      // Everything that does not need the database is still served.
      assert.match(down.body, /^process_cpu_seconds_total /m);
      assert.match(down.body, /_http_requests_total\{method="GET",route="\/metrics",status="200"\} [1-9]/);
      const ready = await fetch(`${service.url}/ready`);
      assert.equal(ready.status, 503, 'readiness, not the scrape, reports the outage');
    } finally {
      await restore();
    }
  });
}
