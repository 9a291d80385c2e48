/**
 * Runbook cause 1, a slow e-mail provider: the development channel answers after DEV_CHANNEL_LATENCY_MS
 * while orders keep flowing faster than the Notification Service can send. Signal: the provider's send
 * duration (and the handler duration) near the injected latency, lag growing on every partition, status
 * WARN, no retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Cleanup,
  driveOrders,
  formatPartitions,
  groupView,
  histogramMean,
  log,
  NOTIFY_GROUP,
  type Scenario,
  type ScenarioResult,
  scrape,
  startLagMonitor,
  startLagStack,
  sum,
} from './scenario-support.ts';

/** Injected provider latency: 6 partitions at 2 sends/s each give about 12 notifications/s. */
const LATENCY_MS = 500;
/** Orders per second, above that capacity so the lag grows. */
const ORDERS_PER_SECOND = 20;
const FLOW_MS = 40_000;
const POLL_INTERVAL_MS = 1_000;
/** 20 s window: longer than the runner's early batches take at this latency (see the runbook). */
const WINDOW_SAMPLES = 20;
const PROGRESS_EVERY_MS = 2_500;
/** The send-duration mean must reach this share of the injected latency. */
const LATENCY_SHARE = 0.8;
const MS_PER_S = 1_000;
/** The final read of the service's /metrics may wait this many half-seconds for a database connection. */
const FINAL_SCRAPE_ATTEMPTS = 60;

export const slowProvider: Scenario = {
  name: 'slow-provider',
  summary: `the provider answers after ${LATENCY_MS} ms while ${ORDERS_PER_SECOND} orders/s flow`,
  async run(cleanup: Cleanup): Promise<ScenarioResult> {
    log(`starting order, inventory, payment and notification services (DEV_CHANNEL_LATENCY_MS=${LATENCY_MS})`);
    const stack = await startLagStack(cleanup.context, {
      notificationEnv: { DEV_CHANNEL_LATENCY_MS: String(LATENCY_MS) },
    });
    const monitor = await startLagMonitor(cleanup.context, stack.namespace, {
      pollIntervalMs: POLL_INTERVAL_MS,
      status: { windowSamples: WINDOW_SAMPLES },
    });
    log(`namespace ${stack.namespace.prefix}; lag monitor ${monitor.url}/metrics; orders for ${FLOW_MS / MS_PER_S} s`);
    const driver = await driveOrders(stack, ORDERS_PER_SECOND);
    const statuses = new Set<string>();
    const lags: number[] = [];
    const started = performance.now();
    let view = groupView(await scrape(monitor.url), monitor.group);
    while (performance.now() - started < FLOW_MS) {
      await sleep(PROGRESS_EVERY_MS);
      view = groupView(await scrape(monitor.url), monitor.group);
      statuses.add(view.status);
      lags.push(view.lag);
      const service = await scrape(stack.notification.url).catch((error: Error) => {
        log(`notification /metrics: ${error.message}; its log: ${stack.notification.output.slice(-3).join(' | ')}`);
        return [];
      });
      const send = histogramMean(service, 'notification_send_duration_seconds') ?? 0;
      log(
        `placed ${driver.placed()} | ${view.status.padEnd(7)} lag ${String(view.lag).padStart(4)} ` +
          `time lag ${view.maxLagSeconds.toFixed(1)} s | send mean ${(send * MS_PER_S).toFixed(0)} ms | ${formatPartitions(view.lagByPartition)}`,
      );
    }
    await driver.stop();
    const service = await scrape(stack.notification.url, FINAL_SCRAPE_ATTEMPTS);
    const sendMeanMs = (histogramMean(service, 'notification_send_duration_seconds') ?? 0) * MS_PER_S;
    const handlerMeanMs =
      (histogramMean(service, 'consumer_handler_duration_seconds', { consumer: NOTIFY_GROUP }) ?? 0) * MS_PER_S;
    const retried = sum(service, 'consumer_failures_total', { outcome: 'retried' });
    const lagging = [...view.lagByPartition.values()].filter((lag) => lag > 0).length;
    const grew = lags.length >= 2 && (lags.at(-1) as number) > (lags[0] as number);
    const checks: Array<[boolean, string]> = [
      [
        sendMeanMs >= LATENCY_SHARE * LATENCY_MS,
        `notification_send_duration_seconds mean ${sendMeanMs.toFixed(0)} ms (injected ${LATENCY_MS} ms)`,
      ],
      [
        handlerMeanMs >= LATENCY_SHARE * LATENCY_MS,
        `consumer_handler_duration_seconds mean ${handlerMeanMs.toFixed(0)} ms`,
      ],
      [grew, `lag grew from ${lags[0]} to ${lags.at(-1)} records; time lag ${view.maxLagSeconds.toFixed(1)} s`],
      [
        lagging === view.lagByPartition.size && lagging > 0,
        `lag on ${lagging} of ${view.lagByPartition.size} partitions: ${formatPartitions(view.lagByPartition)}`,
      ],
      [statuses.has('WARN'), `statuses seen: ${[...statuses].join(', ')} (WARN expected)`],
      [retried === 0, `consumer_failures_total{outcome="retried"} ${retried} (no retries expected)`],
    ];
    return {
      ok: checks.every(([ok]) => ok),
      signal: checks.map(([ok, text]) => `${ok ? 'ok  ' : 'FAIL'} ${text}`),
    };
  },
};
