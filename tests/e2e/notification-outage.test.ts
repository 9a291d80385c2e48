/**
 * The Notification Service is down while orders keep settling. Kafka keeps the outcome
 * events (retention far longer than the outage) and the group's committed offset marks where the service
 * stopped; when it comes back it catches up, and its inbox and unique notification key make every
 * notification go out exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RunningService, startService } from '@shop/platform';
import {
  eventually,
  operatorToken,
  TEST_AUTH_SECRET,
  testBootstrapServers,
  testKafkaSecurityEnv,
  testPostgresUrl,
} from '@shop/test-support';
import { http, placeOrder, putStock, settled, startStack } from '@shop/test-support/stack';
import { notificationService } from '../../services/notification/src/service.ts';

const ORDERS = 1_000;
/** Orders placed at once; enough to keep the pipeline busy without flooding a 2-core machine. */
const PLACE_CONCURRENCY = 25;

async function mapLimited<T>(count: number, limit: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await fn(index);
      }
    }),
  );
  return results;
}

test('the Notification Service stopped while 1,000 orders settle sends every notification exactly once after it starts', async (t) => {
  const stack = await startStack(t);
  const sku = `OUTAGE-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, sku, ORDERS * 2);
  const databaseName = stack.notification.context.config.databaseName;
  await stack.notification.stop();

  const orderIds = await mapLimited(ORDERS, PLACE_CONCURRENCY, () =>
    placeOrder(stack.order.url, [{ sku, quantity: 1 }]),
  );
  await mapLimited(ORDERS, PLACE_CONCURRENCY, (i) => settled(stack.order.url, orderIds[i] as string, 120_000));

  const restartedAt = performance.now();
  const restarted: RunningService = await startService(notificationService, {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: await testPostgresUrl(),
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: stack.namespace.prefix,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_JWT_SECRET: TEST_AUTH_SECRET,
    ...testKafkaSecurityEnv(),
  });
  t.after(() => restarted.stop());

  const pool = restarted.context.pool;
  const countSent = async () =>
    Number(
      (await pool.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE status = 'sent'")).rows[0]?.n ??
        0,
    );
  await eventually(async () => ((await countSent()) >= ORDERS ? true : undefined), 120_000, `${ORDERS} notifications`);
  const seconds = (performance.now() - restartedAt) / 1_000;
  process.stdout.write(
    `# catch-up: ${ORDERS} notifications in ${seconds.toFixed(1)} s = ${(ORDERS / seconds).toFixed(0)}/s\n`,
  );

  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal(await countSent(), ORDERS, 'exactly one notification per order (no phone given: email only)');
  const perOrder = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM (SELECT order_id FROM notifications GROUP BY order_id, channel HAVING count(*) > 1) dup',
  );
  assert.equal(Number(perOrder.rows[0]?.n), 0, 'no order has two notifications on one channel');
  const delivered = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dev_channel_messages');
  assert.equal(Number(delivered.rows[0]?.n), ORDERS, 'the development provider received each message once');
  const sample = await http<unknown[] | { notifications: unknown[] }>(
    `${restarted.url}/notifications?orderId=${orderIds[0]}`,
    { token: await operatorToken() },
  );
  assert.equal(sample.status, 200);
});
