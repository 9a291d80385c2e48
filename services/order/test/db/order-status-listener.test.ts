import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createLogger } from '@shop/platform/logger';
import { createTestDatabase, eventually } from '@shop/platform/testing';
import { notifyStatusChanged, OrderStatusListener } from '../../src/db/order-status-listener.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

async function startListener(t: import('node:test').TestContext) {
  const db = await createTestDatabase(t, 'order_listener');
  const listener = new OrderStatusListener({ databaseUrl: db.url, logger });
  await listener.start();
  t.after(() => listener.stop());
  assert.equal(listener.connected, true);
  return { db, listener };
}

test('a status notification committed by another session should wake the waiters of that order only', async (t) => {
  const { db, listener } = await startListener(t);
  const [settled, other] = [randomUUID(), randomUUID()];
  const mine = listener.subscribe(settled);
  const theirs = listener.subscribe(other);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await notifyStatusChanged(client, settled);
    // Not delivered before commit: a waiter must never see a status that could still roll back.
    assert.equal(await mine.next(200), 'timeout');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  assert.equal(await mine.next(2_000), 'notified');
  assert.equal(await theirs.next(300), 'timeout');
  mine.close();
  theirs.close();
  assert.equal(listener.subscriptions, 0);
});

test('a notification arriving between two waits should not be lost', async (t) => {
  const { db, listener } = await startListener(t);
  const orderId = randomUUID();
  const subscription = listener.subscribe(orderId);
  await notifyStatusChanged(db.pool, orderId);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = performance.now();
  assert.equal(await subscription.next(2_000), 'notified');
  assert.ok(performance.now() - started < 50, 'resolved from the remembered notification');
  subscription.close();
});

test('the listener should reconnect after its session is killed and wake every waiter to re-read', async (t) => {
  const { db, listener } = await startListener(t);
  const subscription = listener.subscribe(randomUUID());
  const { rowCount } = await db.pool.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'order-service status listener'`,
  );
  assert.equal(rowCount, 1);
  await eventually(async () => (listener.connected ? undefined : true), 5_000, 'the listener to notice');
  await eventually(async () => (listener.connected ? true : undefined), 5_000, 'the listener to reconnect');
  // Notifications sent while it was down are lost, so the reconnect itself wakes the waiter.
  assert.equal(await subscription.next(100), 'notified');
  const orderId = randomUUID();
  const after = listener.subscribe(orderId);
  await notifyStatusChanged(db.pool, orderId);
  assert.equal(await after.next(2_000), 'notified', 'listening again on the new session');
  subscription.close();
  after.close();
});

test('releaseAll should answer every waiter at once, including those that subscribe afterwards', async (t) => {
  const { listener } = await startListener(t);
  const before = listener.subscribe(randomUUID());
  const pending = before.next(5_000);
  listener.releaseAll();
  assert.equal(await pending, 'closing');
  assert.equal(await before.next(5_000), 'closing', 'closing is final');
  assert.equal(await listener.subscribe(randomUUID()).next(5_000), 'closing');
});
