/**
 * Load shedding: while ORDER_MAX_DB_QUEUE requests already wait for a database connection, a new order is
 * refused at once (503 ORD_OVERLOADED, Retry-After) instead of joining the queue and timing out after 5 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POOL_SIZE, type PoolClient } from '@shop/platform';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

test('POST /orders should be refused at once with 503 ORD_OVERLOADED while the database queue is full', async (t) => {
  const { api, service } = await startOrderStack(t, { ORDER_MAX_DB_QUEUE: '1' });
  const { pool } = service.context;
  // Take every connection of the service's pool, then queue one more request behind them.
  const held: PoolClient[] = [];
  for (let i = 0; i < DEFAULT_POOL_SIZE; i++) held.push(await pool.connect());
  const queued = pool.connect();
  assert.equal(pool.waitingCount, 1);

  const refused = await api.post('/orders', orderBody());
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'ORD_OVERLOADED');
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.ok(refused.elapsedMs < 1_000, `refused after ${refused.elapsedMs} ms, not after the pool's timeout`);

  for (const client of held) client.release();
  (await queued).release();
  const accepted = await api.post('/orders', orderBody());
  assert.equal(accepted.status, 202, 'accepted again once the queue drained');
  const metrics = await (await fetch(new URL('/metrics', service.url))).text();
  assert.match(metrics, /^orders_shed_total 1$/m);
});
