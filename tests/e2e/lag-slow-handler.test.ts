/**
 * The lag monitor's acceptance: a handler slowed by an injected delay (the development channel's
 * DEV_CHANNEL_LATENCY_MS) while orders flow faster than it can send. The lag monitor must show the group
 * WARN with a growing lag, and the runbook's signal for a slow provider must be in the service's /metrics:
 * the send duration (and the handler duration) near the injected latency, no retries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, Phases } from '@shop/test-support';
import {
  driveOrders,
  type GroupView,
  groupView,
  histogramMean,
  NOTIFY_GROUP,
  scrape,
  startLagMonitor,
  startLagStack,
  sum,
} from '../../scripts/scenarios/scenario-support.ts';

/**
 * Far below the orders' pace whatever the runner's concurrency: a slow handler's batches shrink to one
 * record (the runner sizes batches to what fits in half its commit interval), so each of the few concurrent
 * batches sends one order's notifications per LATENCY_MS.
 */
const LATENCY_MS = 1_000;
/** Above that capacity, so the lag grows. */
const ORDERS_PER_SECOND = 20;
const POLL_INTERVAL_MS = 1_000;
/**
 * A 20 s window: the runner commits once per batch, and a slowed partition's batches grow (everything queued
 * while the previous batch was sent); the window must hold at least two of its commits for a trend.
 */
const WINDOW_SAMPLES = 20;
/**
 * After WARN the lag must keep growing: by this many records (a few seconds of the orders' surplus over what
 * the slowed handler sends), within GROWTH_TIMEOUT_MS.
 */
const GROWTH_RECORDS = 20;
const GROWTH_TIMEOUT_MS = 30_000;
/** Below the runner's 180 s timeout, so an overrun names its phase (stack, WARN, growth, ...). */
const TEST_BUDGET_MS = 170_000;
/** The send and handler means must reach this share of the injected latency. */
const LATENCY_SHARE = 0.8;
const MS_PER_S = 1_000;
/** Spread of the lag: at least this share of the partitions lags, and none holds more than SPREAD_MAX_SHARE of it. */
const SPREAD_MIN_LAGGING_SHARE = 2 / 3;
const SPREAD_MAX_SHARE = 0.5;

test('a handler slowed by an injected provider latency: WARN with growing lag, and the send duration in /metrics', async (t) => {
  const phases = new Phases();
  await phases.within(TEST_BUDGET_MS, async () => {
    phases.enter('stack');
    const stack = await startLagStack(t, { notificationEnv: { DEV_CHANNEL_LATENCY_MS: String(LATENCY_MS) } });
    phases.enter('monitor');
    const monitor = await startLagMonitor(t, stack.namespace, {
      pollIntervalMs: POLL_INTERVAL_MS,
      status: { windowSamples: WINDOW_SAMPLES },
    });
    phases.enter('orders');
    const driver = await driveOrders(stack, ORDERS_PER_SECOND);

    phases.enter('WARN');
    /** Reads the group's view until `wanted` holds, noting each lag read in `lags`. */
    const watchUntil = (wanted: (view: GroupView) => boolean, lags: number[], timeoutMs: number, what: string) =>
      eventually(
        async () => {
          const view = groupView(await scrape(monitor.url), monitor.group);
          lags.push(view.lag);
          if (wanted(view)) return view;
          await sleep(POLL_INTERVAL_MS / 2);
          return undefined;
        },
        timeoutMs,
        what,
      );
    const lags: number[] = [];
    // The group reads UNKNOWN until every partition has had its first commit, which on a busy machine (the
    // suite runs files in parallel) can take a while at this latency.
    const warned = await watchUntil((view) => view.status === 'WARN', lags, 90_000, 'status WARN');
    assert.ok(warned.lag > (lags[0] ?? 0) && warned.lag > 0, `lag grew before WARN: ${lags.join(' ')}`);
    assert.equal(warned.members, 1, 'the consumer is there: slow, not gone');
    // Still growing after WARN. Not one read a fixed time later: the lag moves in steps (a partition's
    // committed offset jumps by a whole batch), and on a loaded machine the orders themselves arrive unevenly,
    // so one later read can land just after a commit. Growing means it passes the WARN reading and the
    // spread check below holds on a reading that far along.
    phases.enter('growth');
    const growth: number[] = [];
    const later = await watchUntil(
      (view) => view.lag >= warned.lag + GROWTH_RECORDS && view.maxLagSeconds > warned.maxLagSeconds,
      growth,
      GROWTH_TIMEOUT_MS,
      `lag growing past ${warned.lag + GROWTH_RECORDS} after WARN at ${warned.lag}`,
    ).catch((error: unknown) => {
      throw new Error(`lag still growing: ${warned.lag} -> ${growth.join(' ')}`, { cause: error });
    });
    // The runbook's signal (as opposed to a hot partition): the lag is spread over the partitions. Not "every
    // partition > 0" at one instant: the runner works a few partitions at a time and commits each second, so a
    // partition with few records can be caught up at the moment of the scrape.
    const byPartition = [...later.lagByPartition.values()];
    const lagging = byPartition.filter((lag) => lag > 0).length;
    assert.ok(
      lagging >= byPartition.length * SPREAD_MIN_LAGGING_SHARE &&
        Math.max(...byPartition) <= later.lag * SPREAD_MAX_SHARE,
      `a slow provider lags the partitions alike, not one: ${[...later.lagByPartition].join(' ')}`,
    );

    phases.enter('stop orders');
    await driver.stop();
    t.diagnostic(`lag before WARN: ${lags.join(' ')}; after: ${growth.join(' ')} (time lag ${later.maxLagSeconds} s)`);
    phases.enter('metrics');
    const metrics = await scrape(stack.notification.url);
    const sendMeanMs = (histogramMean(metrics, 'notification_send_duration_seconds') ?? 0) * MS_PER_S;
    const handlerMeanMs =
      (histogramMean(metrics, 'consumer_handler_duration_seconds', { consumer: NOTIFY_GROUP }) ?? 0) * MS_PER_S;
    assert.ok(sendMeanMs >= LATENCY_SHARE * LATENCY_MS, `send duration mean ${sendMeanMs} ms`);
    assert.ok(handlerMeanMs >= LATENCY_SHARE * LATENCY_MS, `handler duration mean ${handlerMeanMs} ms`);
    // No send finished faster than the injected latency: the histogram's buckets below it are empty.
    assert.equal(sum(metrics, 'notification_send_duration_seconds_bucket', { le: '0.25' }), 0);
    assert.equal(sum(metrics, 'consumer_failures_total', { outcome: 'retried' }), 0, 'slow is not failing');
  });
});
