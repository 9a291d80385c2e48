/**
 * The long-poll wake-ups without NOTIFY: in-process once the settling transaction's connection is released,
 * and by the hub's one-statement poll for an order settled by another connection (another instance).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { MAX_SETTLEMENT_POLL_INTERVAL_MS, SettlementWakeupHub } from '../../src/db/settlement-wakeup-hub.ts';
import { createOrderDatabase } from '../support/order-database.ts';

const CANCEL = `UPDATE orders SET status = 'CANCELLED', cancel_reason_code = 'PROCESSING_TIMEOUT',
  cancel_reason_message = 'test', settled_at = now(), updated_at = now() WHERE id = $1`;

test('settlement wake-ups', async (t) => {
  const database = await createOrderDatabase(t, 'order_wakeups');
  const { pool } = database;

  await t.test('waiters should be woken in-process once the transaction that changed their order ended', async (t) => {
    // A poll far beyond the test: only the in-process path can wake the waiter.
    const hub = new SettlementWakeupHub({ pool, logger: database.logger, pollMs: 60_000 });
    t.after(() => hub.stop());
    const [orderId, other] = [await database.place(), await database.place()];
    const mine = hub.subscribe(orderId);
    const theirs = hub.subscribe(other);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(CANCEL, [orderId]);
      hub.afterTransaction(client, [orderId]);
      // Not before the commit: a waiter woken now would read PENDING.
      assert.equal(await mine.next(200), 'timeout');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const started = performance.now();
    assert.equal(await mine.next(2_000), 'notified');
    assert.ok(performance.now() - started < 100, 'woken by the release, not by a poll');
    assert.equal(await theirs.next(200), 'timeout', 'other orders are not woken');
    mine.close();
    theirs.close();
    assert.equal(hub.subscriptions, 0);
  });

  await t.test(
    'an order settled by another connection (another instance) should wake its waiters within a poll',
    async (t) => {
      const hub = new SettlementWakeupHub({ pool, logger: database.logger, pollMs: 100 });
      t.after(() => hub.stop());
      const [orderId, pending] = [await database.place(), await database.place()];
      const mine = hub.subscribe(orderId);
      const theirs = hub.subscribe(pending);
      // A connection of its own, unknown to the hub and its pool: as another instance of the service.
      const elsewhere = new pg.Client({ connectionString: database.db.url });
      await elsewhere.connect();
      t.after(() => elsewhere.end());
      const started = performance.now();
      await elsewhere.query(CANCEL, [orderId]);
      assert.equal(await mine.next(2_000), 'notified');
      assert.ok(performance.now() - started < 1_000, `woken after ${performance.now() - started} ms`);
      assert.equal(await theirs.next(300), 'timeout', 'a still PENDING order is not woken');
      mine.close();
      theirs.close();
    },
  );

  await t.test(
    'an order waited for long should be polled less and less often, and still be woken when settled elsewhere',
    async (t) => {
      const pollMs = 100;
      const hub = new SettlementWakeupHub({ pool, logger: database.logger, pollMs });
      t.after(() => hub.stop());
      const polls: string[][] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
      t.mock.method(pool, 'query', (...args: unknown[]) => {
        const config = args[0] as { name?: string; values?: unknown[] };
        if (config?.name === 'order-settled-poll') polls.push(config.values?.[0] as string[]);
        return query(...args);
      });
      const orderId = await database.place();
      const subscription = hub.subscribe(orderId);
      const waitMs = 3_000;
      assert.equal(await subscription.next(waitMs), 'timeout', 'still PENDING');
      const reads = polls.filter((ids) => ids.includes(orderId)).length;
      // Every 100 ms would be 30 reads; intervals growing by half from 100 ms: 7 by 3 s.
      assert.ok(reads >= 3 && reads <= 10, `read ${reads} times in ${waitMs} ms`);
      const elsewhere = new pg.Client({ connectionString: database.db.url });
      await elsewhere.connect();
      t.after(() => elsewhere.end());
      const started = performance.now();
      await elsewhere.query(CANCEL, [orderId]);
      assert.equal(await subscription.next(MAX_SETTLEMENT_POLL_INTERVAL_MS + 3_000), 'notified');
      const tookMs = performance.now() - started;
      assert.ok(tookMs < MAX_SETTLEMENT_POLL_INTERVAL_MS + 1_000, `woken after ${tookMs} ms`);
      subscription.close();
    },
  );

  await t.test(
    'releaseAll should answer every waiter at once, including those that subscribe afterwards',
    async (t) => {
      const hub = new SettlementWakeupHub({ pool, logger: database.logger });
      t.after(() => hub.stop());
      const before = hub.subscribe(randomUUID());
      const pending = before.next(5_000);
      hub.releaseAll();
      assert.equal(await pending, 'closing');
      assert.equal(await before.next(5_000), 'closing', 'closing is final');
      assert.equal(await hub.subscribe(randomUUID()).next(5_000), 'closing');
    },
  );

  await t.test('a wake-up arriving between two waits should not be lost', async (t) => {
    const hub = new SettlementWakeupHub({ pool, logger: database.logger, pollMs: 60_000 });
    t.after(() => hub.stop());
    const orderId = randomUUID();
    const subscription = hub.subscribe(orderId);
    hub.wake([orderId]);
    const started = performance.now();
    assert.equal(await subscription.next(2_000), 'notified');
    assert.ok(performance.now() - started < 50, 'resolved from the remembered wake-up');
    subscription.close();
  });
});
