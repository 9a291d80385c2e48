/**
 * Runbook cause 3, a retry storm: the provider fails a share of sends transiently
 * (DEV_CHANNEL_FAILURE_RATE), so records go round the retry tiers while orders flow. Signal:
 * consumer_failures_total{outcome="retried"} and notification_send_failures_total climb, the retry-tier
 * groups see records, the send duration stays low (the provider answers fast, with an error).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Cleanup,
  driveOrders,
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

/** Share of sends that fail transiently. */
const FAILURE_RATE = 0.5;
/** Retry tier delays: short, so the storm shows within the scenario (production's are in the catalog). */
const RETRY_DELAYS_MS = '1000,2000,4000';
const ORDERS_PER_SECOND = 15;
const FLOW_MS = 30_000;
const POLL_INTERVAL_MS = 1_000;
const WINDOW_SAMPLES = 10;
const PROGRESS_EVERY_MS = 2_500;
/** Retried records expected at least: a fair share of the sends made. */
const MIN_RETRIED = 50;
/** A fast-failing provider: the send-duration mean stays below this. */
const MAX_SEND_MEAN_MS = 100;
const MS_PER_S = 1_000;

export const retryStorm: Scenario = {
  name: 'retry-storm',
  summary: `${FAILURE_RATE * 100} % of sends fail transiently while ${ORDERS_PER_SECOND} orders/s flow`,
  async run(cleanup: Cleanup): Promise<ScenarioResult> {
    log(
      `starting order, inventory, payment and notification services (DEV_CHANNEL_FAILURE_RATE=${FAILURE_RATE}, RETRY_DELAYS_MS=${RETRY_DELAYS_MS})`,
    );
    const stack = await startLagStack(cleanup.context, {
      notificationEnv: { DEV_CHANNEL_FAILURE_RATE: String(FAILURE_RATE), RETRY_DELAYS_MS },
    });
    const monitor = await startLagMonitor(cleanup.context, stack.namespace, {
      pollIntervalMs: POLL_INTERVAL_MS,
      status: { windowSamples: WINDOW_SAMPLES },
    });
    // One group drains the three tier topics (catalog: `<group>.retry`).
    const retryGroup = `${monitor.group}.retry`;
    log(`namespace ${stack.namespace.prefix}; lag monitor ${monitor.url}/metrics; orders for ${FLOW_MS / MS_PER_S} s`);
    const driver = await driveOrders(stack, ORDERS_PER_SECOND);
    const statuses = new Set<string>();
    let tierRecords = 0;
    const started = performance.now();
    while (performance.now() - started < FLOW_MS) {
      await sleep(PROGRESS_EVERY_MS);
      const lag = await scrape(monitor.url);
      const service = await scrape(stack.notification.url);
      const main = groupView(lag, monitor.group);
      statuses.add(main.status);
      const tierView = groupView(lag, retryGroup);
      tierRecords = Math.max(tierRecords, sum(lag, 'kafka_consumergroup_log_end_offset', { group: /\.retry$/ }));
      log(
        `placed ${driver.placed()} | main ${main.status.padEnd(7)} lag ${String(main.lag).padStart(3)} | ` +
          `retried ${sum(service, 'consumer_failures_total', { outcome: 'retried' })} ` +
          `dead-lettered ${sum(service, 'consumer_failures_total', { outcome: 'dead-lettered' })} ` +
          `send failures ${sum(service, 'notification_send_failures_total')} | ` +
          `tiers ${tierView.status} lag ${tierView.lag}`,
      );
    }
    await driver.stop();
    const service = await scrape(stack.notification.url);
    const retried = sum(service, 'consumer_failures_total', { outcome: 'retried' });
    const byCode = sum(service, 'consumer_failures_total', { outcome: 'retried', code: 'NTF_CHANNEL_UNAVAILABLE' });
    const sendFailures = sum(service, 'notification_send_failures_total', { code: 'NTF_CHANNEL_UNAVAILABLE' });
    const sendMeanMs = (histogramMean(service, 'notification_send_duration_seconds') ?? 0) * MS_PER_S;
    const mainRetried = sum(service, 'consumer_failures_total', { outcome: 'retried', consumer: NOTIFY_GROUP });
    const checks: Array<[boolean, string]> = [
      [
        retried >= MIN_RETRIED && byCode === retried,
        `consumer_failures_total{outcome="retried"} ${retried} (code NTF_CHANNEL_UNAVAILABLE: ${byCode}; consumer ${NOTIFY_GROUP}: ${mainRetried})`,
      ],
      [sendFailures > 0, `notification_send_failures_total{code="NTF_CHANNEL_UNAVAILABLE"} ${sendFailures}`],
      [tierRecords > 0, `records written to the retry tiers: ${tierRecords}`],
      [
        sendMeanMs < MAX_SEND_MEAN_MS,
        `notification_send_duration_seconds mean ${sendMeanMs.toFixed(1)} ms (provider fast, failing)`,
      ],
      [true, `main group statuses seen: ${[...statuses].join(', ')}`],
    ];
    return {
      ok: checks.every(([ok]) => ok),
      signal: checks.map(([ok, text]) => `${ok ? 'ok  ' : 'FAIL'} ${text}`),
    };
  },
};
