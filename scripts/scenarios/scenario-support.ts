/**
 * What the lag scenarios share: a throw-away stack (the test stack of @shop/test-support/stack on a fresh
 * KAFKA_NAMESPACE with its own databases, so a running `npm start` stack is never touched), an in-process
 * lag monitor on the Notification Service's groups with a short window, an order driver, /metrics parsing
 * and progress output. Everything started is stopped, and its topics and databases dropped, on the way out.
 */
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaNamespace, RunningService } from '@shop/platform';
import {
  type ChildService,
  createTestDatabase,
  createTestNamespace,
  freePort,
  spawnService,
  startTestService,
  type TestDatabase,
  testBootstrapServers,
  testKafkaConnection,
  testPostgresUrl,
} from '@shop/test-support';
import { placeOrder, putStock, simulatedPaymentService } from '@shop/test-support/stack';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { orderService } from '../../services/order/src/service.ts';
import type { StatusOptions } from '../../tools/src/lag/burrow-status.ts';
import { LagMonitor, serveMetrics } from '../../tools/src/lag/lag-monitor.ts';
import { catalogGroups } from '../../tools/src/lag/lag-reader.ts';

/** The Notification Service's main group id (catalog), un-namespaced; its retry group appends `.retry`. */
export const NOTIFY_GROUP = 'notification-service.notify-customers';

/**
 * Cleanups registered by the helpers we reuse from the tests. They only call `t.after`, so a scenario
 * hands them this stand-in, which runs them as node:test does: in the order they were registered.
 */
export class Cleanup {
  readonly #steps: Array<() => unknown> = [];

  after(step: () => unknown): void {
    this.#steps.push(step);
  }

  /** The stand-in test context for `startStack`, `createTestNamespace` and friends. */
  get context(): TestContext {
    return this as unknown as TestContext;
  }

  async run(): Promise<void> {
    for (const step of this.#steps) {
      try {
        await step();
      } catch (error) {
        log(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  }
}

const startedAt = performance.now();

const NOTIFICATION_ENTRY = 'services/notification/src/main.ts';

export interface LagStack {
  namespace: KafkaNamespace;
  order: RunningService;
  inventory: RunningService;
  payment: RunningService;
  /** The Notification Service as its own process (`npm start` runs it so), on `notificationDb`. */
  notification: ChildService;
  notificationDb: TestDatabase;
  /** Runs `step` first on teardown, before any service stops. */
  beforeTeardown(step: () => Promise<void>): void;
  /** Stops the Notification Service process with `signal` (SIGTERM: graceful, SIGKILL: at once). */
  stopNotification(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same database and namespace (after stopNotification). */
  startNotification(): Promise<ChildService>;
}

/**
 * Order, Inventory and Payment in-process, the Notification Service as a child process, on a fresh namespace and
 * databases. A process, so that a scenario or test can stop and restart it, and so that the clean-up can
 * SIGKILL it: a slowed consumer finishes its batch in flight on a graceful stop, which at a 500 ms provider
 * latency outlasts the shutdown timeout, and its database would be dropped under it.
 */
export async function startLagStack(
  t: TestContext,
  options: { notificationEnv?: Record<string, string> } = {},
): Promise<LagStack> {
  let stack: LagStack | undefined;
  const early: Array<() => Promise<void>> = [];
  // First registered, so run first (after-hooks run in order): the order drivers stop before the services
  // (an Order Service stopping under a stream of requests waits out its shutdown timeout), the Notification
  // Service process dies before its database is dropped, and the in-process services stop before their
  // topics are deleted (a relay publishing to a deleted topic holds the shutdown until its timeout).
  // Stopping twice is harmless: startTestService's own hook finds the shutdown done.
  t.after(async () => {
    for (const step of early) await step();
    if (stack === undefined) return;
    await stack.notification.kill('SIGKILL');
    await Promise.all([stack.order.stop(), stack.inventory.stop(), stack.payment.stop()]);
  });
  const namespace = await createTestNamespace(t, 'lag');
  const [order, inventory, payment, notificationDb] = await Promise.all([
    startTestService(t, orderService, { namespace }),
    startTestService(t, inventoryService, { namespace }),
    // Every charge captured at once: the orders confirm, and each confirmation is a notification.
    startTestService(t, simulatedPaymentService(), { namespace }),
    createTestDatabase(t, 'lag_notifications'),
  ]);
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: await testPostgresUrl(),
    DATABASE_NAME: notificationDb.name,
    KAFKA_NAMESPACE: namespace.prefix,
    // Never the developer's SMTP_URL (spawn drops undefined variables): what is sent stays in the database.
    SMTP_URL: undefined as unknown as string,
    ...options.notificationEnv,
  };
  const spawn = async () => spawnService(t, NOTIFICATION_ENTRY, await freePort(), env);
  stack = {
    namespace,
    order,
    inventory,
    payment,
    notification: await spawn(),
    notificationDb,
    beforeTeardown: (step) => {
      early.push(step);
    },
    stopNotification: (signal) => (stack as LagStack).notification.kill(signal),
    async startNotification() {
      const started = await spawn();
      (stack as LagStack).notification = started;
      return started;
    },
  };
  return stack;
}

/** Progress line with the seconds since the scenario started. */
export function log(text: string): void {
  process.stdout.write(`[${((performance.now() - startedAt) / 1_000).toFixed(1).padStart(5)} s] ${text}\n`);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (no exemplars); comments and blank lines are skipped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels match every `where` entry (a string equals, a RegExp tests). */
export function sum(samples: readonly Sample[], name: string, where: Record<string, string | RegExp> = {}): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name &&
        Object.entries(where).every(([label, wanted]) => {
          const value = sample.labels[label] ?? '';
          return typeof wanted === 'string' ? value === wanted : wanted.test(value);
        }),
    )
    .reduce((total, sample) => total + sample.value, 0);
}

/** Attempts of one scrape, and the pause between two: a service answers 503 while its database is unreachable. */
const SCRAPE_ATTEMPTS = 5;
const SCRAPE_RETRY_MS = 500;

export async function scrape(url: string, attempts = SCRAPE_ATTEMPTS): Promise<Sample[]> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${url}/metrics`);
    if (response.ok) return parseMetrics(await response.text());
    if (attempt >= attempts) throw new Error(`GET ${url}/metrics: ${response.status} ${await response.text()}`);
    await sleep(SCRAPE_RETRY_MS);
  }
}

/** Mean of a histogram (sum / count) for the matching series, in its unit; undefined without observations. */
export function histogramMean(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string | RegExp> = {},
): number | undefined {
  const count = sum(samples, `${name}_count`, where);
  return count === 0 ? undefined : sum(samples, `${name}_sum`, where) / count;
}

export interface MonitorHandle {
  url: string;
  /** The namespaced group name of the main notify-customers group. */
  group: string;
  stop(): Promise<void>;
}

/**
 * A lag monitor (the same class `npm start` runs) on the namespace's notify-customers groups, main and retry
 * tiers, served on a free port. `stopAfterMs` defaults to the window's duration, as in the monitor process.
 */
export async function startLagMonitor(
  t: TestContext,
  namespace: KafkaNamespace,
  options: { pollIntervalMs: number; status: StatusOptions },
): Promise<MonitorHandle> {
  const groups = catalogGroups(namespace).filter((entry) => entry.group.startsWith(namespace.group(NOTIFY_GROUP)));
  const monitor = new LagMonitor({
    connection: await testKafkaConnection('scenario-lag-monitor'),
    groups,
    pollIntervalMs: options.pollIntervalMs,
    status: options.status,
  });
  const { url, server } = await serveMetrics(monitor.registry, 0, '127.0.0.1');
  monitor.start();
  const stop = async () => {
    server.close();
    await monitor.stop();
  };
  t.after(stop);
  return { url, group: namespace.group(NOTIFY_GROUP), stop };
}

/** The lag monitor's view of one group, from its /metrics. */
export interface GroupView {
  status: string;
  /** Records behind, summed over partitions. */
  lag: number;
  /** Largest time lag of a partition, seconds. */
  maxLagSeconds: number;
  /** Lag per partition, by partition number. */
  lagByPartition: Map<number, number>;
  members: number;
}

export function groupView(samples: readonly Sample[], group: string): GroupView {
  const mine = samples.filter((sample) => sample.labels.group === group);
  const status = mine.find((sample) => sample.name === 'kafka_consumergroup_status' && sample.value === 1)?.labels
    .status;
  const lagByPartition = new Map<number, number>();
  for (const sample of mine) {
    if (sample.name === 'kafka_consumergroup_lag') lagByPartition.set(Number(sample.labels.partition), sample.value);
  }
  return {
    status: status ?? 'n/a',
    lag: [...lagByPartition.values()].reduce((a, b) => a + b, 0),
    maxLagSeconds: Math.max(
      0,
      ...mine.filter((sample) => sample.name === 'kafka_consumergroup_lag_seconds').map((sample) => sample.value),
    ),
    lagByPartition,
    members: sum(mine, 'kafka_consumergroup_members'),
  };
}

export function formatPartitions(lagByPartition: ReadonlyMap<number, number>): string {
  return [...lagByPartition]
    .sort(([a], [b]) => a - b)
    .map(([partition, lag]) => `p${partition}=${lag}`)
    .join(' ');
}

export interface OrderDriver {
  placed(): number;
  failed(): number;
  /** Stops placing and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** Most orders in flight at once; a slow Order Service lowers the rate rather than piling up requests. */
const DRIVER_MAX_IN_FLIGHT = 20;
/** Units of the scenario's SKU: never the limit, so every order confirms and gets a notification. */
const DRIVER_STOCK = 1_000_000;

/** Places orders of one unit of a fresh SKU at about `perSecond`, until stop() or the stack's teardown. */
export async function driveOrders(stack: LagStack, perSecond: number): Promise<OrderDriver> {
  const orderUrl = stack.order.url;
  const sku = `SCENARIO-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, sku, DRIVER_STOCK);
  let placed = 0;
  let failed = 0;
  let inFlight = 0;
  let running = true;
  const pending = new Set<Promise<void>>();
  const loop = (async () => {
    const started = performance.now();
    for (let n = 0; running; n++) {
      const due = started + (n * 1_000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      if (inFlight >= DRIVER_MAX_IN_FLIGHT) continue;
      inFlight++;
      const request = placeOrder(orderUrl, [{ sku, quantity: 1 }]).then(
        () => {
          placed++;
        },
        () => {
          failed++;
        },
      );
      const tracked = request.finally(() => {
        inFlight--;
        pending.delete(tracked);
      });
      pending.add(tracked);
    }
  })();
  const driver: OrderDriver = {
    placed: () => placed,
    failed: () => failed,
    async stop() {
      running = false;
      await loop;
      await Promise.all(pending);
    },
  };
  stack.beforeTeardown(() => driver.stop());
  return driver;
}

/** The outcome of a scenario: whether the expected signal showed, and the lines that show it. */
export interface ScenarioResult {
  ok: boolean;
  signal: string[];
}

export interface Scenario {
  name: string;
  /** One line: what it reproduces. */
  summary: string;
  run(cleanup: Cleanup): Promise<ScenarioResult>;
}
