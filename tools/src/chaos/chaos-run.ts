/**
 * One chaos run: a private stack (chaos-stack.ts) with N instances per service on a three-node cluster, an
 * open-model load, the fault schedule played against it meanwhile, then, once everything has come to rest,
 * the independent checker and the recovery measurements. Used by `npm run chaos` and by the short run in
 * the test suite.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintToken } from '@shop/platform';
import pg from 'pg';
import type { Reporter } from '../../../infra/kafka/src/index.ts';
import { renderChaosChart } from './chaos-chart.ts';
import { type ChaosLoadResult, runChaosLoad } from './chaos-load.ts';
import { type ChaosStack, startChaosStack } from './chaos-stack.ts';
import { formatChaosTable } from './chaos-table.ts';
import { FaultInjector, type FaultRecord } from './fault-injector.ts';
import { describeFault, type Fault } from './fault-schedule.ts';
import { type CheckReport, checkInvariants } from './invariant-checker.ts';
import {
  baselineOf,
  buildTimeline,
  type FaultRecovery,
  measureRecovery,
  type OrderTiming,
  type Timeline,
} from './recovery.ts';

const PLENTIFUL_SKUS = Array.from({ length: 16 }, (_, i) => `CHAOS-${String(i + 1).padStart(2, '0')}`);
const SCARCE_SKUS = ['CHAOS-SCARCE-1', 'CHAOS-SCARCE-2'];
const SCARCE_UNITS = 40;
/** Units per plentiful SKU per order per second of load: far more than the load can take (3 lines × 2). */
const PLENTIFUL_UNITS_PER_ORDER = 2;
const UNIT_PRICE_MINOR = 1_250;
/** How long, after the load, everything may take to come to rest (sagas finished, outboxes empty). */
const QUIESCE_TIMEOUT_MS = 120_000;
const QUIESCE_POLL_MS = 1_000;
/** Notifications follow the outcome on their own consumer: the count must hold still this long. */
const QUIET_NOTIFICATIONS_MS = 3_000;

export interface ChaosRunOptions {
  rate: number;
  durationSeconds: number;
  drainSeconds: number;
  instances: number;
  schedule: Fault[];
  /**
   * Seconds of the same load before the measured one, not measured and with no fault (default 0). Fresh
   * brokers and services spend their first minute on their JIT compilers: measured from a cold start, the
   * baseline before the first fault was already a backlog, at 40 orders/s as at 100.
   */
  warmUpSeconds?: number;
  /** Run directory (data, logs). */
  runDir: string;
  /** Where chaos.json and chaos.svg are written. */
  reportDir: string;
  scarceShare?: number;
  cancelShare?: number;
  /** Keep the stack running after the run (for a look around); the caller stops it. */
  keep?: boolean;
  report: Reporter;
}

export interface FaultResult extends FaultRecord, FaultRecovery {
  /** Seconds after the load's start. */
  atSeconds: number;
}

export interface ChaosReport {
  ok: boolean;
  startedAt: string;
  options: { rate: number; durationSeconds: number; drainSeconds: number; instances: number; warmUpSeconds: number };
  /** Orders of the warm-up load (checked like the others, not measured). */
  warmUp: { accepted: number; notFinalInAnswers: number };
  load: Omit<ChaosLoadResult, 'accepted' | 'cancelled' | 'notFinalInAnswers' | 'offeredPerSecond'> & {
    accepted: number;
    cancelledByCustomer: number;
    notFinalInAnswers: string[];
  };
  baseline: ReturnType<typeof baselineOf>;
  faults: FaultResult[];
  check: CheckReport;
  unexpectedExits: string[];
  timeline: Timeline;
}

export async function runChaos(options: ChaosRunOptions): Promise<{ report: ChaosReport; stack?: ChaosStack }> {
  const say = options.report;
  const stack = await startChaosStack({ dir: options.runDir, instances: options.instances, report: say });
  try {
    const inventory = stack.instances.inventory[0]?.url as string;
    const operator = await mintToken(stack.authSecret, { subject: 'chaos-run', roles: ['operator'] });
    const warmUpSeconds = options.warmUpSeconds ?? 0;
    const plentiful = Math.ceil(options.rate * (options.durationSeconds + warmUpSeconds) * PLENTIFUL_UNITS_PER_ORDER);
    for (const sku of [...PLENTIFUL_SKUS, ...SCARCE_SKUS]) {
      const response = await fetch(`${inventory}/inventory/${sku}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({
          name: sku,
          available: SCARCE_SKUS.includes(sku) ? SCARCE_UNITS : plentiful,
          unitPrice: { amountMinor: UNIT_PRICE_MINOR, currency: 'EUR' },
        }),
      });
      if (!response.ok) throw new Error(`PUT /inventory/${sku}: ${response.status} ${await response.text()}`);
    }
    const initialUnits = new Map(
      (
        await queryRows<{ sku: string; units: number }>(
          `${stack.postgres.url}/${stack.databases.inventory}`,
          'SELECT sku, available + reserved + sold AS units FROM products',
        )
      ).map((row) => [row.sku, Number(row.units)]),
    );

    say('warming up: every order instance settles a probe order (consumer groups assigned, relays leading)');
    const probes = await warmUp(stack, PLENTIFUL_SKUS[0] as string);
    const loadOptions = {
      orderUrls: stack.instances.order.map((instance) => instance.url),
      authSecret: stack.authSecret,
      rate: options.rate,
      plentifulSkus: PLENTIFUL_SKUS,
      scarceSkus: SCARCE_SKUS,
      scarceShare: options.scarceShare ?? 0.1,
      cancelShare: options.cancelShare ?? 0.05,
    };
    const warmUpLoad =
      warmUpSeconds > 0
        ? await (async () => {
            say(`warm-up load: ${options.rate} orders/s for ${warmUpSeconds} s, no fault, not measured`);
            const result = await runChaosLoad({
              ...loadOptions,
              durationSeconds: warmUpSeconds,
              drainSeconds: options.drainSeconds,
              onProgress: (p) =>
                say(`  warm-up ${p.elapsedSeconds.toFixed(0)} s: accepted ${p.accepted}, final ${p.final}`),
            });
            say(`warm-up load done: ${result.accepted.length} accepted, ${result.notFinalInAnswers.length} not final`);
            return result;
          })()
        : undefined;

    say(
      `load: ${options.rate} orders/s for ${options.durationSeconds} s over ${options.instances} order instance(s); ` +
        `${options.schedule.length} fault(s): ${options.schedule.map((f) => `${f.at}s ${describeFault(f)}`).join(', ')}`,
    );
    const injector = new FaultInjector(stack, say);
    const startMs = Date.now();
    const faultsDone = (async () => {
      const records: FaultRecord[] = [];
      for (const fault of options.schedule) {
        const wait = startMs + fault.at * 1_000 - Date.now();
        if (wait > 0) await sleep(wait);
        records.push(await injector.inject(fault));
      }
      return records;
    })();
    const load = await runChaosLoad({
      ...loadOptions,
      durationSeconds: options.durationSeconds,
      drainSeconds: options.drainSeconds,
      onProgress: (p) =>
        say(
          `  ${p.elapsedSeconds.toFixed(0)} s: sent ${p.sent}, accepted ${p.accepted}, final ${p.final}, retried requests ${p.retries}`,
        ),
    });
    const records = await faultsDone;
    say(`load done: ${load.accepted.length} accepted of ${load.sent}; waiting for everything to come to rest`);
    await quiesce(stack);

    say('checking invariants (databases and topics)');
    const check = await checkInvariants({
      serverUrl: stack.postgres.url,
      databases: stack.databases,
      bootstrapServers: stack.bootstrapServers,
      security: stack.security,
      namespace: stack.namespace,
      accepted: [...probes, ...(warmUpLoad?.accepted ?? []), ...load.accepted],
      cancelledAfterConfirmation: [...(warmUpLoad?.cancelled ?? []), ...load.cancelled],
      initialUnits,
    });

    const orders: OrderTiming[] = (
      await queryRows<{ created_ms: string; settled_ms: string | null }>(
        `${stack.postgres.url}/${stack.databases.order}`,
        `SELECT (extract(epoch FROM created_at) * 1000)::bigint AS created_ms,
                (extract(epoch FROM settled_at) * 1000)::bigint AS settled_ms FROM orders`,
      )
    )
      .map((row) => ({
        createdAtMs: Number(row.created_ms),
        settledAtMs: row.settled_ms === null ? undefined : Number(row.settled_ms),
      }))
      // The probe orders and the warm-up load came before the load: they belong to no second of it.
      .filter((order) => order.createdAtMs >= startMs);
    const loadEndMs = startMs + options.durationSeconds * 1_000;
    const seconds =
      Math.ceil((Math.max(load.endedAtMs, ...orders.map((o) => o.settledAtMs ?? 0)) - startMs) / 1_000) + 1;
    const timeline = buildTimeline(startMs, seconds, load.offeredPerSecond, orders);
    const baseline = baselineOf(timeline, orders, startMs, records[0]?.startedAtMs ?? loadEndMs);
    const faults: FaultResult[] = records.map((record, index) => ({
      ...record,
      atSeconds: Math.round((record.startedAtMs - startMs) / 100) / 10,
      ...measureRecovery(
        timeline,
        orders,
        startMs,
        {
          startedAtMs: record.startedAtMs,
          windowEndMs: records[index + 1]?.startedAtMs ?? load.endedAtMs,
        },
        baseline,
      ),
    }));
    const { accepted, cancelled, notFinalInAnswers, offeredPerSecond: _offered, ...loadRest } = load;
    const report: ChaosReport = {
      ok: check.ok && stack.unexpectedExits.length === 0 && faults.every((f) => f.error === undefined),
      startedAt: new Date(startMs).toISOString(),
      options: {
        rate: options.rate,
        durationSeconds: options.durationSeconds,
        drainSeconds: options.drainSeconds,
        instances: options.instances,
        warmUpSeconds,
      },
      warmUp: {
        accepted: warmUpLoad?.accepted.length ?? 0,
        notFinalInAnswers: warmUpLoad?.notFinalInAnswers.length ?? 0,
      },
      load: {
        ...loadRest,
        accepted: accepted.length,
        cancelledByCustomer: cancelled.length,
        notFinalInAnswers: notFinalInAnswers.slice(0, 20),
      },
      baseline,
      faults,
      check,
      unexpectedExits: [...stack.unexpectedExits],
      timeline,
    };
    await mkdir(options.reportDir, { recursive: true });
    await writeFile(join(options.reportDir, 'chaos.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(options.reportDir, 'chaos.svg'), renderChaosChart(report));
    for (const line of formatChaosTable(report).split('\n')) say(line);
    say(`report: ${join(options.reportDir, 'chaos.json')}, chart: ${join(options.reportDir, 'chaos.svg')}`);
    if (options.keep) return { report, stack };
    await stack.stop();
    return { report };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Probe orders the warm-up places per order instance. */
const WARM_UP_ORDERS = 3;
const WARM_UP_TIMEOUT_MS = 120_000;

/**
 * Places a few orders through every Order Service instance and waits until they are final, so that the load
 * (and the baseline its faults are measured against) starts on a stack whose groups have settled their
 * first rebalances. The probe orders are ordinary orders: the checker checks them like any other.
 */
async function warmUp(stack: ChaosStack, sku: string): Promise<string[]> {
  const deadline = Date.now() + WARM_UP_TIMEOUT_MS;
  const ids: string[] = [];
  const customer = await mintToken(stack.authSecret, { subject: crypto.randomUUID(), roles: ['customer'] });
  const authorization = `Bearer ${customer}`;
  for (const instance of stack.instances.order) {
    for (let i = 0; i < WARM_UP_ORDERS; i++) {
      const response = await fetch(`${instance.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({
          items: [{ sku, quantity: 1 }],
          contact: { email: 'warm-up@example.com' },
        }),
      });
      if (response.status !== 202) throw new Error(`warm-up POST /orders: ${response.status} ${await response.text()}`);
      ids.push(((await response.json()) as { orderId: string }).orderId);
    }
  }
  for (const id of ids) {
    while (true) {
      const url = stack.instances.order[0]?.url as string;
      const view = (await (await fetch(`${url}/orders/${id}?wait=5`, { headers: { authorization } })).json()) as {
        status: string;
      };
      if (view.status !== 'PENDING') break;
      if (Date.now() > deadline)
        throw new Error(`warm-up order ${id} still PENDING after ${WARM_UP_TIMEOUT_MS / 1_000} s`);
    }
  }
  return ids;
}

async function queryRows<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Waits until the system is at rest: no order PENDING and no saga step open, every outbox empty, and the
 * number of notifications holding still; gives up (and lets the checker report what is left) after
 * QUIESCE_TIMEOUT_MS.
 */
async function quiesce(stack: ChaosStack): Promise<void> {
  const url = (label: keyof ChaosStack['databases']) => `${stack.postgres.url}/${stack.databases[label]}`;
  const deadline = Date.now() + QUIESCE_TIMEOUT_MS;
  let notifications = -1;
  let stillSince = Date.now();
  while (Date.now() < deadline) {
    try {
      const [open] = await queryRows<{ n: string }>(
        url('order'),
        `SELECT (SELECT count(*) FROM orders WHERE status = 'PENDING')
              + (SELECT count(*) FROM order_saga_steps WHERE status = 'STARTED') AS n`,
      );
      const outboxes = await Promise.all(
        (['order', 'inventory', 'payment', 'notification'] as const).map(async (label) =>
          Number((await queryRows<{ n: string }>(url(label), 'SELECT count(*) AS n FROM outbox'))[0]?.n),
        ),
      );
      const [sent] = await queryRows<{ n: string }>(url('notification'), 'SELECT count(*) AS n FROM notifications');
      const count = Number(sent?.n ?? 0);
      if (count !== notifications) {
        notifications = count;
        stillSince = Date.now();
      }
      if (Number(open?.n) === 0 && outboxes.every((n) => n === 0) && Date.now() - stillSince >= QUIET_NOTIFICATIONS_MS)
        return;
    } catch {
      // The server may be restarting (a late fault): look again.
    }
    await sleep(QUIESCE_POLL_MS);
  }
}
