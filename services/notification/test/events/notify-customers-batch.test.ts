/**
 * The notifyCustomers batch handler called directly on real transactions of a migrated notifications
 * database, as the consumer runner calls it (splitting a batch at the item a `BatchItemError` names), with
 * the development channels underneath counting channels. Every statement sent to the database is counted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newEventMeta } from '@shop/contracts';
import {
  BatchItemError,
  createLogger,
  createPool,
  type EventBatchItem,
  inTransaction,
  migrate,
  type Pool,
  platformMigrations,
} from '@shop/platform';
import { createTestDatabase } from '@shop/test-support';
import { Registry } from 'prom-client';
import { createNotificationDeliverer, SEND_CONCURRENCY } from '../../src/app/deliver-notifications.ts';
import { createDevChannel } from '../../src/channels/dev-channel.ts';
import type { ChannelKind, NotificationChannel } from '../../src/domain/channel.ts';
import { notificationKey } from '../../src/domain/notification-key.ts';
import type { OutcomeEvent } from '../../src/domain/outcome.ts';
import { notificationError } from '../../src/errors.ts';
import { createNotifyCustomersHandler } from '../../src/events/notify-customers.ts';
import { createNotificationMetrics } from '../../src/metrics.ts';
import { orderCancelled, orderConfirmed } from '../support/outcome-events.ts';

/** The batch size the throughput target is stated for. */
const BATCH = 20;
/** Target: statements per order in the notifications database at batches of BATCH or more. */
const MAX_STATEMENTS_PER_ORDER = 3;
/** The statement the runner adds to every batch transaction (the inbox insert), counted with the handler's. */
const RUNNER_STATEMENTS_PER_BATCH = 1;
/** Latency of the counting channels in the concurrency test: long enough for sends to overlap. */
const SLOW_SEND_MS = 20;

/** A pool whose every statement (pool.query and checked-out clients alike) is counted. */
function countingPool(url: string, max: number): { pool: Pool; statements: () => number } {
  let statements = 0;
  const pool = createPool(url, { max, applicationName: 'test counting' });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
  });
  return { pool, statements: () => statements };
}

interface Counting {
  /** Calls per idempotency key, failed ones included. */
  calls: Map<string, number>;
  /** Sends in flight now, over both channels. */
  inFlight: number;
  /** Most sends in flight at once, over both channels. */
  peak: number;
}

/** Wraps a channel: counts calls per key and sends in flight, fails a key's first call when told to. */
function counting(
  inner: NotificationChannel,
  counts: Counting,
  failOnce: Set<string>,
  latencyMs: () => number,
): NotificationChannel {
  return {
    kind: inner.kind,
    provider: inner.provider,
    async send(message, options) {
      const { idempotencyKey } = options;
      counts.calls.set(idempotencyKey, (counts.calls.get(idempotencyKey) ?? 0) + 1);
      counts.inFlight++;
      counts.peak = Math.max(counts.peak, counts.inFlight);
      try {
        if (latencyMs() > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs()));
        if (failOnce.delete(idempotencyKey)) {
          throw notificationError('NTF_CHANNEL_UNAVAILABLE', `${inner.kind} provider unreachable (injected)`);
        }
        return await inner.send(message, options);
      } finally {
        counts.inFlight--;
      }
    },
  };
}

async function setUp(t: TestContext) {
  const db = await createTestDatabase(t, 'ntfbatch');
  await migrate(db.pool, [
    platformMigrations,
    {
      name: 'notification-service',
      directory: fileURLToPath(new URL('../../src/db/migrations/', import.meta.url)),
    },
  ]);
  const service = countingPool(db.url, 4);
  const mailbox = countingPool(db.url, 4);
  t.after(async () => {
    await service.pool.end();
    await mailbox.pool.end();
  });
  const counts: Counting = { calls: new Map(), inFlight: 0, peak: 0 };
  const failOnce = new Set<string>();
  let latency = 0;
  const channel = (kind: ChannelKind) =>
    counting(createDevChannel({ kind, pool: mailbox.pool }), counts, failOnce, () => latency);
  const handler = createNotifyCustomersHandler(
    createNotificationDeliverer({
      channels: { email: channel('email'), sms: channel('sms') },
      pool: service.pool,
      metrics: createNotificationMetrics(new Registry()),
      sendTimeoutMs: 5_000,
    }),
  );
  const logger = createLogger({ level: 'silent', service: 'notification-test' });
  let next = 0;
  const run = (items: readonly EventBatchItem[]) =>
    inTransaction(service.pool, (client) => handler(items, { client, logger }));
  const h = {
    pool: db.pool,
    counts,
    failOnce,
    setLatency(ms: number) {
      latency = ms;
    },
    statements: () => service.statements() + mailbox.statements(),
    run,
    /** Item errors seen by runLikeRunner, in order. */
    itemErrors: [] as BatchItemError[],
    /**
     * What the runner does with a batch: on `BatchItemError`, the items before the named one as one batch,
     * the item alone, the items after it as another batch; an item failing alone goes to a retry tier,
     * which handles it once more afterwards (here: at once).
     */
    async runLikeRunner(items: readonly EventBatchItem[], retried = false): Promise<void> {
      if (items.length === 0) return;
      try {
        await run(items);
      } catch (error) {
        if (!(error instanceof BatchItemError)) throw error;
        h.itemErrors.push(error);
        const at = items.findIndex((item) => item.index === error.index);
        assert.ok(at >= 0, 'the error names an item of the batch');
        if (items.length === 1) {
          if (retried) throw error;
          return h.runLikeRunner(items, true);
        }
        await h.runLikeRunner(items.slice(0, at));
        await h.runLikeRunner(items.slice(at, at + 1));
        await h.runLikeRunner(items.slice(at + 1));
      }
    },
    item(event: OutcomeEvent): EventBatchItem {
      const meta = newEventMeta({ type: event.type, producer: 'order-service', correlationId: event.payload.orderId });
      return { index: next++, event: event as EventBatchItem['event'], meta, record: {} as EventBatchItem['record'] };
    },
    async rows(sql: string): Promise<Array<Record<string, unknown>>> {
      return (await db.pool.query(sql)).rows;
    },
  };
  return h;
}

test('notifyCustomers batch handler', async (t) => {
  await t.test(
    `a batch of ${BATCH} outcomes should send each notification once within ${MAX_STATEMENTS_PER_ORDER} statements per order`,
    async (st) => {
      const h = await setUp(st);
      const withPhone = Array.from({ length: BATCH }, () => h.item(orderConfirmed()));
      const emailOnly = Array.from({ length: BATCH }, () => h.item(orderCancelled()));
      const before = h.statements();
      assert.deepEqual(await h.run(withPhone), {});
      const phoneCost = h.statements() - before + RUNNER_STATEMENTS_PER_BATCH;
      const middle = h.statements();
      assert.deepEqual(await h.run(emailOnly), {});
      const emailCost = h.statements() - middle + RUNNER_STATEMENTS_PER_BATCH;
      st.diagnostic(
        `e-mail and SMS: ${phoneCost} statements for ${BATCH} orders = ${(phoneCost / BATCH).toFixed(2)} per order (2 of them the development channel's acceptances)`,
      );
      st.diagnostic(
        `e-mail only: ${emailCost} statements for ${BATCH} orders = ${(emailCost / BATCH).toFixed(2)} per order (1 of them the development channel's acceptance)`,
      );
      assert.ok(phoneCost / BATCH <= MAX_STATEMENTS_PER_ORDER);
      assert.ok(emailCost / BATCH <= MAX_STATEMENTS_PER_ORDER);
      assert.equal(h.counts.calls.size, BATCH * 3);
      assert.ok([...h.counts.calls.values()].every((calls) => calls === 1));
      const [sent] = await h.rows("SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'");
      assert.equal(sent?.n, BATCH * 3);
    },
  );

  await t.test(
    `a batch of ${BATCH} whose item 7 fails once at its channel should, after the split, send every other notification exactly once and item 7 once in the end`,
    async (st) => {
      const h = await setUp(st);
      const events = Array.from({ length: BATCH }, () => orderConfirmed());
      const items = events.map((event) => h.item(event));
      const seventh = items[7] as EventBatchItem;
      const { orderId } = (events[7] as OutcomeEvent).payload;
      const failingKey = notificationKey(orderId, 'OrderConfirmed', 'email');
      h.failOnce.add(failingKey);

      await h.runLikeRunner(items);

      assert.deepEqual(
        h.itemErrors.map((error) => error.index),
        [seventh.index],
        'one split, at item 7; its solo run succeeded',
      );
      assert.equal(h.counts.calls.size, BATCH * 2);
      for (const [key, calls] of h.counts.calls) {
        assert.equal(calls, key === failingKey ? 2 : 1, `channel calls for ${key}`);
      }
      const mailbox = await h.rows('SELECT idempotency_key, submissions FROM dev_channel_messages');
      assert.equal(mailbox.length, BATCH * 2);
      assert.ok(
        mailbox.every((row) => row.submissions === 1),
        'every message accepted once: no split or re-run re-sent one',
      );
      const records = await h.rows('SELECT idempotency_key, status, attempts, last_error_code FROM notifications');
      assert.equal(records.length, BATCH * 2);
      assert.ok(records.every((row) => row.status === 'sent'));
      const failed = records.find((row) => row.idempotency_key === failingKey);
      assert.equal(failed?.attempts, 2);
      assert.equal(failed?.last_error_code, 'NTF_CHANNEL_UNAVAILABLE');
      assert.ok(records.filter((row) => row.idempotency_key !== failingKey).every((row) => row.attempts === 1));
    },
  );

  await t.test(
    'the same outcome in one batch under two event ids, and in two concurrent batches, should be sent once',
    async (st) => {
      const h = await setUp(st);
      h.setLatency(SLOW_SEND_MS);
      const event = orderConfirmed();
      assert.deepEqual(await h.run([h.item(event), h.item(event)]), {});
      assert.deepEqual([...h.counts.calls.values()], [1, 1], 'the second item found the first one’s claim');

      const raced = orderConfirmed();
      // A main-topic record and its retry-tier copy on two transactions at once: the second waits for the
      // first one's locks, then reads its 'sent' rows.
      await Promise.all([h.run([h.item(raced)]), h.run([h.item(raced)])]);
      assert.equal(h.counts.calls.size, 4);
      assert.ok([...h.counts.calls.values()].every((calls) => calls === 1));
    },
  );

  await t.test(`sends should run concurrently, at most ${SEND_CONCURRENCY} at once`, async (st) => {
    const h = await setUp(st);
    h.setLatency(SLOW_SEND_MS);
    const started = performance.now();
    await h.run(Array.from({ length: BATCH }, () => h.item(orderConfirmed())));
    const elapsed = performance.now() - started;
    assert.equal(h.counts.peak, SEND_CONCURRENCY);
    assert.ok(elapsed < BATCH * 2 * SLOW_SEND_MS, `${elapsed.toFixed(0)} ms: not one send after the other`);
  });

  await t.test('a failed send should name its item, after recording every attempt of the batch', async (st) => {
    const h = await setUp(st);
    const items = Array.from({ length: 4 }, () => h.item(orderConfirmed({ orderId: randomUUID() })));
    const third = items[2] as EventBatchItem;
    const { orderId } = (third.event as OutcomeEvent).payload;
    h.failOnce.add(notificationKey(orderId, 'OrderConfirmed', 'sms'));
    await assert.rejects(
      h.run(items),
      (error) =>
        error instanceof BatchItemError &&
        error.index === third.index &&
        (error.cause as { code?: string }).code === 'NTF_CHANNEL_UNAVAILABLE',
    );
    const records = await h.rows('SELECT status FROM notifications ORDER BY status');
    assert.deepEqual(
      records.map((row) => row.status),
      [...Array.from({ length: 7 }, () => 'sent'), 'failed'].sort(),
      'recorded on their own transaction although the batch rolled back',
    );
  });
});
