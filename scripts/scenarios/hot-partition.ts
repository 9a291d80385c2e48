/**
 * Runbook cause 2, a hot partition: a bulk job (here, a re-publication of order outcomes) writes thousands
 * of records under one key while ordinary orders flow. One partition's single worker handles them one at a
 * time; the other partitions, and the handler's per-record time, stay normal. Signal: the lag is
 * concentrated on one partition of kafka_consumergroup_lag, the handler and send durations are normal, no
 * retries. (Too little parallelism looks the same on every partition at once, with members below the
 * partition count; the runbook tells the two apart by the lag's spread.)
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEvent, newEventMeta, topicName } from '@shop/contracts';
import { createProducer } from '@shop/platform';
import { testKafkaConnection } from '@shop/test-support';
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

/** Records the bulk job writes under its one key. */
const BULK_RECORDS = 20_000;
const BULK_KEY = 'bulk-republish-job';
const BULK_CHUNK = 1_000;
const ORDERS_PER_SECOND = 5;
/** Longest the scenario waits for the hot partition to drain. */
const MAX_FLOW_MS = 90_000;
const POLL_INTERVAL_MS = 1_000;
const WINDOW_SAMPLES = 10;
const PROGRESS_EVERY_MS = 2_000;
/** Share of the group's lag the hottest partition must hold at the peak. */
const HOT_SHARE = 0.9;
/** Per-record handler time that counts as normal: no slow dependency involved. */
const MAX_HANDLER_MEAN_MS = 100;
const MS_PER_S = 1_000;

export const hotPartition: Scenario = {
  name: 'hot-partition',
  summary: `a bulk job writes ${BULK_RECORDS} outcome records under one key while ${ORDERS_PER_SECOND} orders/s flow`,
  async run(cleanup: Cleanup): Promise<ScenarioResult> {
    log('starting order, inventory, payment and notification services');
    const stack = await startLagStack(cleanup.context);
    const monitor = await startLagMonitor(cleanup.context, stack.namespace, {
      pollIntervalMs: POLL_INTERVAL_MS,
      status: { windowSamples: WINDOW_SAMPLES },
    });
    log(`namespace ${stack.namespace.prefix}; lag monitor ${monitor.url}/metrics`);
    const driver = await driveOrders(stack, ORDERS_PER_SECOND);
    await sleep(PROGRESS_EVERY_MS);

    log(`bulk job: ${BULK_RECORDS} OrderConfirmed records with key "${BULK_KEY}"`);
    const producer = createProducer(await testKafkaConnection('scenario-bulk-job'));
    cleanup.after(() => producer.close());
    const topic = stack.namespace.topic(topicName('orderOutcomes'));
    for (let offset = 0; offset < BULK_RECORDS; offset += BULK_CHUNK) {
      await producer.send({
        messages: Array.from({ length: Math.min(BULK_CHUNK, BULK_RECORDS - offset) }, () => {
          const orderId = randomUUID();
          const record = encodeEvent({
            meta: newEventMeta({ producer: 'order-service', type: 'OrderConfirmed', correlationId: orderId }),
            payload: {
              orderId,
              contact: { email: 'bulk@example.com' },
              lines: [{ sku: 'BULK-1', quantity: 1 }],
              total: { amountMinor: 1_000, currency: 'EUR' },
            },
          });
          return { topic, key: BULK_KEY, value: record.value, headers: new Map(Object.entries(record.headers)) };
        }),
      });
    }

    let peak = groupView(await scrape(monitor.url), monitor.group);
    const statuses = new Set<string>();
    const started = performance.now();
    while (performance.now() - started < MAX_FLOW_MS) {
      await sleep(PROGRESS_EVERY_MS);
      const view = groupView(await scrape(monitor.url), monitor.group);
      statuses.add(view.status);
      if (view.lag > peak.lag) peak = view;
      log(
        `placed ${driver.placed()} | ${view.status.padEnd(7)} lag ${String(view.lag).padStart(4)} ` +
          `time lag ${view.maxLagSeconds.toFixed(1)} s | members ${view.members} | ${formatPartitions(view.lagByPartition)}`,
      );
      if (view.lag === 0 && peak.lag > 0) break;
    }
    await driver.stop();
    const service = await scrape(stack.notification.url);
    const handlerMeanMs =
      (histogramMean(service, 'consumer_handler_duration_seconds', { consumer: NOTIFY_GROUP }) ?? 0) * MS_PER_S;
    const retried = sum(service, 'consumer_failures_total', { outcome: 'retried' });
    const [hot, hotLag] = [...peak.lagByPartition].reduce((a, b) => (b[1] > a[1] ? b : a), [-1, 0]);
    const share = peak.lag === 0 ? 0 : hotLag / peak.lag;
    const checks: Array<[boolean, string]> = [
      [
        share >= HOT_SHARE,
        `at the peak, partition ${hot} held ${hotLag} of ${peak.lag} records of lag (${(share * 100).toFixed(0)} %): ${formatPartitions(peak.lagByPartition)}`,
      ],
      [
        handlerMeanMs < MAX_HANDLER_MEAN_MS,
        `consumer_handler_duration_seconds mean ${handlerMeanMs.toFixed(1)} ms (normal)`,
      ],
      [retried === 0, `consumer_failures_total{outcome="retried"} ${retried}`],
      [true, `statuses seen: ${[...statuses].join(', ')}; members ${peak.members}`],
    ];
    return {
      ok: checks.every(([ok]) => ok),
      signal: checks.map(([ok, text]) => `${ok ? 'ok  ' : 'FAIL'} ${text}`),
    };
  },
};
