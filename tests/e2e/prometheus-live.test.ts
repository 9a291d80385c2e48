/**
 * The alerting path end to end, on a real Prometheus (the one `npm start -- --with-prometheus` runs, from
 * scripts/prometheus.ts): it scrapes every service and the lag monitor of a private stack, and when the
 * Notification Service stops while orders flow, the consumer-lag alert ConsumerGroupStopped becomes active.
 *
 * The rules are ops/prometheus/alerts.yml itself, unchanged: expressions and `for:` durations as deployed.
 * An alert whose expression holds is `pending` until its `for:` has passed, so the real rule file shows the
 * alert becoming active within seconds; only the scrape and evaluation intervals are shortened (1 s), and the
 * lag monitor's window (5 s), as in lag-notification-stopped.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deferCleanups, eventually } from '@shop/test-support';
import { freePort, prometheusConfig, startPrometheus } from '../../scripts/prometheus.ts';
import {
  driveOrders,
  groupView,
  scrape,
  startLagMonitor,
  startLagStack,
} from '../../scripts/scenarios/scenario-support.ts';

const LAG_POLL_INTERVAL_MS = 500;
/** 10 polls: the lag monitor reads STOP 5 s after the group's last commit. */
const LAG_WINDOW_SAMPLES = 10;
/** Scrape and rule evaluation interval of the test's Prometheus. */
const PROMETHEUS_INTERVAL_MS = 1_000;
const ORDERS_PER_SECOND = 5;
const ALERT = 'ConsumerGroupStopped';

interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}
interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}
interface Rule {
  name: string;
  state: 'inactive' | 'pending' | 'firing';
  lastEvaluation: string;
  alerts: Alert[];
}

async function api<T>(prometheusUrl: string, path: string): Promise<T> {
  const response = await fetch(`${prometheusUrl}/api/v1/${path}`);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (!response.ok || body.status !== 'success') throw new Error(`GET /api/v1/${path}: ${JSON.stringify(body)}`);
  return body.data;
}

test('Prometheus should scrape every service and the lag monitor, and raise ConsumerGroupStopped once the Notification Service stops', async (t) => {
  const stack = await startLagStack(t);
  const monitor = await startLagMonitor(t, stack.namespace, {
    pollIntervalMs: LAG_POLL_INTERVAL_MS,
    status: { windowSamples: LAG_WINDOW_SAMPLES },
  });
  const targets = [
    { job: 'order', url: stack.order.url },
    { job: 'inventory', url: stack.inventory.url },
    { job: 'payment', url: stack.payment.url },
    { job: 'notification', url: stack.notification.url },
    { job: 'lag-monitor', url: monitor.url },
  ];
  // Newest first: Prometheus stops before its data directory is removed.
  const defer = deferCleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-live-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const prometheus = await startPrometheus({
    config: prometheusConfig({
      targets,
      scrapeIntervalMs: PROMETHEUS_INTERVAL_MS,
      evaluationIntervalMs: PROMETHEUS_INTERVAL_MS,
    }),
    dir,
    port: await freePort(),
  });
  defer(() => prometheus.stop());
  const driver = await driveOrders(stack, ORDERS_PER_SECOND);

  // Every target scraped and up: the jobs are the services' and the monitor's real /metrics endpoints.
  const up = await eventually(
    async () => {
      const { activeTargets } = await api<{ activeTargets: Target[] }>(prometheus.url, 'targets');
      const byJob = new Map(activeTargets.map((target) => [target.labels.job, target]));
      return targets.every((target) => byJob.get(target.job)?.health === 'up') ? byJob : undefined;
    },
    30_000,
    'every target up',
  );
  assert.deepEqual([...up.keys()].sort(), targets.map((target) => target.job).sort());

  // Before the stop: the group is OK in Prometheus, and a rule evaluation after that sample leaves the
  // alert inactive for it (the negative check waits for that evaluation, not for a fixed time).
  await eventually(
    async () => (groupView(await scrape(monitor.url), monitor.group).status === 'OK' ? true : undefined),
    30_000,
    'notify-customers OK at the lag monitor',
  );
  const okQuery = encodeURIComponent(`kafka_consumergroup_status{group="${monitor.group}",status="OK"} == 1`);
  await eventually(
    async () => {
      const { result } = await api<{ result: unknown[] }>(prometheus.url, `query?query=${okQuery}`);
      return result.length === 1 ? true : undefined;
    },
    30_000,
    'Prometheus sees the group OK',
  );
  const okSeenAt = Date.now();
  const before = await eventually(
    async () => {
      const rule = await alertRule(prometheus.url);
      return Date.parse(rule.lastEvaluation) > okSeenAt ? rule : undefined;
    },
    30_000,
    `${ALERT} evaluated after the OK sample`,
  );
  assert.deepEqual(
    before.alerts.filter((alert) => alert.labels.group === monitor.group),
    [],
    `${ALERT} must not be active while the group consumes`,
  );

  await stack.stopNotification('SIGTERM');
  const active = await eventually(
    async () => {
      const { alerts } = await api<{ alerts: Alert[] }>(prometheus.url, 'alerts');
      return alerts.find((alert) => alert.labels.alertname === ALERT && alert.labels.group === monitor.group);
    },
    45_000,
    `${ALERT} pending or firing for ${monitor.group}`,
  );
  assert.ok(active.state === 'pending' || active.state === 'firing', active.state);
  assert.equal(active.labels.severity, 'critical');
  assert.match(active.annotations.summary ?? '', new RegExp(`^${monitor.group} stopped committing`));
  // Prometheus saw the Notification Service go away too: its target is down.
  await eventually(
    async () => {
      const { activeTargets } = await api<{ activeTargets: Target[] }>(prometheus.url, 'targets');
      return activeTargets.find((target) => target.labels.job === 'notification')?.health === 'down' ? true : undefined;
    },
    30_000,
    'notification target down',
  );
  await driver.stop();
  t.diagnostic(`${ALERT} ${active.state} for ${monitor.group}`);
});

async function alertRule(prometheusUrl: string): Promise<Rule> {
  const { groups } = await api<{ groups: Array<{ rules: Rule[] }> }>(prometheusUrl, 'rules?type=alert');
  const rule = groups.flatMap((group) => group.rules).find((candidate) => candidate.name === ALERT);
  if (rule === undefined) throw new Error(`${ALERT} is not loaded: is it still in ops/prometheus/alerts.yml?`);
  return rule;
}
