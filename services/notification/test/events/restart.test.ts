import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { dropDatabase, type RunningService, startService } from '@shop/platform';
import {
  createTestNamespace,
  eventually,
  TEST_AUTH_SECRET,
  TEST_RETRY_DELAYS_MS,
  testBootstrapServers,
  testKafkaSecurityEnv,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import type { OutcomeEvent } from '../../src/domain/outcome.ts';
import { notificationService } from '../../src/service.ts';
import { publishOutcomes, testProducer } from '../support/harness.ts';
import { orderCancelled, orderConfirmed } from '../support/outcome-events.ts';

/** Orders settled before the stop, and while the service is down (the two-hour outage of docs/design/notifications.md, scaled to a test). */
const ORDERS_BEFORE_STOP = 20;
const ORDERS_WHILE_DOWN = 1_000;
/** Events of the first batch published again while down: same event id, and a new id for the same outcome. */
const REDELIVERED = 10;

async function countRows(service: RunningService, sql: string): Promise<number> {
  const result = await service.context.pool.query<{ count: string }>(sql);
  return Number(result.rows[0]?.count);
}

function notificationsOf(events: readonly OutcomeEvent[]): number {
  return events.reduce((sum, event) => sum + (event.payload.contact.phone === undefined ? 1 : 2), 0);
}

test('every notification should be sent exactly once across a stop, a backlog of 1,000 orders and a restart on the same database', async (t) => {
  const namespace = await createTestNamespace(t, 'ntf-restart');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_notifications_restart', '_').toLowerCase();
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: serverUrl,
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: namespace.prefix,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
    AUTH_JWT_SECRET: TEST_AUTH_SECRET,
    ...testKafkaSecurityEnv(),
  };
  const instances: RunningService[] = [];
  t.after(async () => {
    for (const instance of instances) await instance.stop();
    await dropDatabase(serverUrl, databaseName);
  });
  const start = async () => {
    const instance = await startService(notificationService, env);
    instances.push(instance);
    return instance;
  };
  const producer = await testProducer(t);

  const before = Array.from({ length: ORDERS_BEFORE_STOP }, () => ({ event: orderConfirmed(), eventId: randomUUID() }));
  const first = await start();
  await publishOutcomes(producer, namespace, before);
  const expectedBefore = notificationsOf(before.map((item) => item.event));
  await eventually(
    async () =>
      (await countRows(first, "SELECT count(*) FROM notifications WHERE status = 'sent'")) === expectedBefore
        ? true
        : undefined,
    20_000,
    'the first batch sent',
  );
  await first.stop();

  // While the service is down: redeliveries of handled events (as after a crash before the offset
  // commit), other events for outcomes already notified, then the backlog of new outcomes.
  const redelivered = before.slice(0, REDELIVERED);
  const backlog = Array.from({ length: ORDERS_WHILE_DOWN }, (_, index) => ({
    event: index % 2 === 0 ? orderConfirmed() : orderCancelled(),
  }));
  await publishOutcomes(producer, namespace, [
    ...redelivered,
    ...redelivered.map((item) => ({ event: item.event })),
    ...backlog,
  ]);

  const restartedAt = performance.now();
  const second = await start();
  const expectedTotal = expectedBefore + notificationsOf(backlog.map((item) => item.event));
  await eventually(
    async () =>
      (await countRows(second, "SELECT count(*) FROM notifications WHERE status = 'sent'")) === expectedTotal
        ? true
        : undefined,
    45_000,
    'the backlog sent after the restart',
  );
  const seconds = (performance.now() - restartedAt) / 1_000;
  t.diagnostic(
    `catch-up: ${ORDERS_WHILE_DOWN} orders (${expectedTotal - expectedBefore} notifications) in ${seconds.toFixed(2)} s ` +
      `= ${(ORDERS_WHILE_DOWN / seconds).toFixed(0)} orders/s, boot included`,
  );

  assert.equal(await countRows(second, 'SELECT count(*) FROM notifications'), expectedTotal, 'no extra records');
  assert.equal(
    await countRows(second, 'SELECT count(*) FROM dev_channel_messages'),
    expectedTotal,
    'one delivery per notification',
  );
  assert.equal(
    await countRows(second, 'SELECT count(*) FROM dev_channel_messages WHERE submissions <> 1'),
    0,
    'the provider was never asked twice: neither the redeliveries nor the restart re-sent anything',
  );
  assert.equal(
    await countRows(second, 'SELECT count(*) FROM notifications WHERE attempts <> 1'),
    0,
    'every notification sent on its first attempt',
  );
});
