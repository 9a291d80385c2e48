/**
 * The benchmark report (reports/bench-*.json) and the pure rules that fill it: the steady-state window,
 * CPU and statements per order, what "sustained" means, and which rate the search tries next.
 */
import type { LatencySummary } from '../load/latency-recorder.ts';
import type { IdleLatency, PgbenchCeiling, ProducerCeiling } from './ceilings.ts';
import type { WindowCpu } from './cpu-attribution.ts';
import { ticksToMs } from './proc-stat.ts';
import type { StatementsDelta } from './statements.ts';

export const REPORT_VERSION = 1;
/** A rate is sustained when p99 placed→final stays under this (and the rest of `isSustained` holds). */
export const TARGET_P99_MS = 1_000;
/** The search stops when the highest sustained and the lowest failed rate are this close. */
export const SEARCH_RESOLUTION = 10;
/** With no failure in the sweep, the search tries this many times the highest rate. */
export const SEARCH_GROWTH = 1.5;

/** What the unmeasured warm-up load saw (bench.ts, DEFAULT_WARM_UP_SECONDS). */
export interface WarmUp {
  rate: number;
  seconds: number;
  acceptedPerSecond: number;
  settledPerSecond: number;
  placedToFinalP99Ms: number | null;
}

export interface BenchReport {
  version: typeof REPORT_VERSION;
  generatedAt: string;
  /** The command line that produced the report, e.g. "npm run bench -- --quick". */
  command: string;
  commit: string;
  /** Uncommitted changes in the worktree when it ran. */
  dirty: boolean;
  machine: { cpus: number; model: string; memoryGiB: number; kernel: string; loadAverageAtStart: number[] };
  software: { node: string; postgres: string; kafka: string };
  settings: {
    rates: number[];
    durationSeconds: number;
    warmupSeconds: number;
    /** The unmeasured load run on the fresh stack before the sweep; null when none ran (`--warm-up 0`). */
    warmUp?: WarmUp | null;
    drainSeconds: number;
    quick: boolean;
    searchSteps: number;
    targetP99Ms: number;
    postgres: Record<string, string>;
    kafka: { bootstrapServers: string[]; broker: 'already running' | 'started for the run'; replicationFactor: number };
  };
  ceilings: {
    pgbench: PgbenchCeiling;
    pgbenchBatched: PgbenchCeiling;
    producer: ProducerCeiling;
    idleLatency: IdleLatency;
  };
  runs: RateResult[];
  highestSustainable: { rate: number | null; searchSteps: number; criterion: string };
}

export interface RateResult {
  rate: number;
  phase: 'sweep' | 'search';
  durationSeconds: number;
  sent: number;
  accepted: number;
  /** 503: the Order Service shed load. */
  rejected503: number;
  otherErrors: Record<string, number>;
  acceptedPerSecond: number;
  /** Orders settled per second in the steady-state window. */
  settledPerSecond: number;
  settled: { confirmed: number; cancelled: number; pendingAtEnd: number };
  placedToFinalMs: LatencySummary;
  acceptMs: LatencySummary;
  reconciliation: { ok: boolean; summary: string };
  /** Seconds since the first order was sent; orders = orders settled inside it. */
  window: { fromSecond: number; toSecond: number; orders: number };
  /** CPU in milliseconds per settled order over the window; null when no order settled in it. */
  cpuMsPerOrder: {
    processes: Record<string, number>;
    postgres: Record<string, number>;
    postgresTotal: number;
    /** Services + broker + PostgreSQL: the stack's own cost, without the generator and the bench (its process and its queries). */
    stack: number;
    machine: number;
  } | null;
  /**
   * Each service's event-loop utilisation over the window (0–1, from its nodejs_eventloop_busy_seconds_total):
   * near 1, the service cannot take more whatever the machine's CPU. Absent in reports made before it.
   */
  eventLoopBusy?: Record<string, number> | null;
  /**
   * WAL the private server wrote per settled order over the window (pg_stat_wal): records, full-page images
   * and bytes. Absent in reports made before it.
   */
  walPerOrder?: { records: number; fullPageImages: number; bytes: number } | null;
  /** Cores busy on average over the window, per component, and the machine's. */
  coresBusy: { processes: Record<string, number>; postgresTotal: number; machine: number } | null;
  statementsPerOrder: {
    /** Statements the services sent (round trips), per database. */
    perDatabase: Record<string, number>;
    total: number;
    /** Foreign-key checks PostgreSQL ran inside those statements, all databases. */
    foreignKeyChecks: number;
    /** pg_stat_statements execution time per order, per database, ms (waits such as WAL flushes included). */
    execMsPerDatabase?: Record<string, number>;
    top: Array<{
      database: string;
      query: string;
      callsPerOrder: number;
      execMsPerOrder?: number;
      rowsPerOrder?: number;
    }>;
  } | null;
  /**
   * From the first order sent to the last one settled, per settled order: every order's whole cost even when
   * the stack fell behind (then the steady-state window, which counts orders settled in it, measures how
   * little got through rather than what an order costs).
   */
  wholeRun: {
    seconds: number;
    orders: number;
    cpuMsPerOrder: RateResult['cpuMsPerOrder'];
    statementsPerOrder: RateResult['statementsPerOrder'];
  };
  sustained: boolean;
  /** The load tool's JSON report of this rate, under reports/. */
  loadReport: string;
}

/** Warm-up excluded from the steady-state window: a fifth of the run, between 2 and 10 seconds. */
export function warmupSeconds(durationSeconds: number): number {
  return Math.min(10, Math.max(2, Math.round(durationSeconds / 5)));
}

/** Orders settled in seconds [from, to) of the load's timeline. */
export function settledInWindow(
  timeline: ReadonlyArray<{ second: number; completed: number }>,
  fromSecond: number,
  toSecond: number,
): number {
  return timeline.filter((t) => t.second >= fromSecond && t.second < toSecond).reduce((n, t) => n + t.completed, 0);
}

/** Labels the stack's namespaced databases by their service name (bench_x_orders → orders). */
export type DatabaseLabels = Record<string, string>;

function relabel(values: Record<string, number>, labels: DatabaseLabels): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [labels[k] ?? k, v]));
}

/** The database the bench's own sampling and snapshots connect to: its backends are not the stack's. */
export const BENCH_DATABASE = 'postgres';

/** Processes whose CPU is the stack's (the generator and the bench are not). */
export const STACK_PROCESS_LABELS = ['order', 'inventory', 'payment', 'notification', 'broker'];

export function cpuPerOrder(
  cpu: WindowCpu,
  orders: number,
  labels: DatabaseLabels,
): Pick<RateResult, 'cpuMsPerOrder' | 'coresBusy'> {
  const seconds = (cpu.toAt - cpu.fromAt) / 1_000;
  if (orders === 0 || seconds <= 0) return { cpuMsPerOrder: null, coresBusy: null };
  const perOrder = (ticks: number) => ticksToMs(ticks) / orders;
  const cores = (ticks: number) => ticksToMs(ticks) / 1_000 / seconds;
  const map = (values: Record<string, number>, f: (t: number) => number) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, f(v)]));
  const stackTicks =
    STACK_PROCESS_LABELS.reduce((sum, label) => sum + (cpu.processes[label] ?? 0), 0) +
    cpu.postgresTotal -
    (cpu.postgres[BENCH_DATABASE] ?? 0);
  return {
    cpuMsPerOrder: {
      processes: map(cpu.processes, perOrder),
      postgres: relabel(map(cpu.postgres, perOrder), labels),
      postgresTotal: perOrder(cpu.postgresTotal),
      stack: perOrder(stackTicks),
      machine: perOrder(cpu.machineBusyTicks),
    },
    coresBusy: {
      processes: map(cpu.processes, cores),
      postgresTotal: cores(cpu.postgresTotal),
      machine: cores(cpu.machineBusyTicks),
    },
  };
}

export function statementsPerOrder(
  delta: StatementsDelta,
  orders: number,
  labels: DatabaseLabels,
): RateResult['statementsPerOrder'] {
  if (orders === 0) return null;
  const perDatabase = Object.fromEntries(
    Object.entries(delta.perDatabase).map(([db, calls]) => [labels[db] ?? db, calls / orders]),
  );
  return {
    perDatabase,
    total: Object.values(perDatabase).reduce((a, b) => a + b, 0),
    foreignKeyChecks: Object.values(delta.foreignKeyChecks).reduce((a, b) => a + b, 0) / orders,
    execMsPerDatabase: Object.fromEntries(
      Object.entries(delta.execMsPerDatabase).map(([db, ms]) => [labels[db] ?? db, ms / orders]),
    ),
    top: delta.top.map((t) => ({
      database: labels[t.database] ?? t.database,
      query: t.query,
      callsPerOrder: t.calls / orders,
      execMsPerOrder: t.totalMs / orders,
      rowsPerOrder: t.rows / orders,
    })),
  };
}

export const SUSTAINED_CRITERION = `p99 placed→final < ${TARGET_P99_MS} ms, every order accepted (no 503, no error) and a clean reconciliation`;

export function isSustained(
  r: Pick<RateResult, 'placedToFinalMs' | 'rejected503' | 'otherErrors' | 'reconciliation' | 'accepted'>,
): boolean {
  const errors = Object.values(r.otherErrors).reduce((a, b) => a + b, 0);
  return (
    r.accepted > 0 &&
    r.reconciliation.ok &&
    r.rejected503 === 0 &&
    errors === 0 &&
    r.placedToFinalMs.p99 !== null &&
    r.placedToFinalMs.p99 < TARGET_P99_MS
  );
}

/** The highest rate tried that was sustained, or null. */
export function highestSustained(runs: ReadonlyArray<Pick<RateResult, 'rate' | 'sustained'>>): number | null {
  const held = runs.filter((r) => r.sustained).map((r) => r.rate);
  return held.length === 0 ? null : Math.max(...held);
}

function roundRate(rate: number): number {
  return Math.max(1, Math.round(rate / SEARCH_RESOLUTION) * SEARCH_RESOLUTION || Math.round(rate));
}

/**
 * The next rate to try, or undefined when the answer is known to SEARCH_RESOLUTION: halfway between the
 * highest sustained rate and the lowest failed one above it; above the highest sustained one when nothing
 * failed; below the lowest one when nothing held.
 */
export function nextSearchRate(runs: ReadonlyArray<Pick<RateResult, 'rate' | 'sustained'>>): number | undefined {
  if (runs.length === 0) return undefined;
  const tried = new Set(runs.map((r) => r.rate));
  const held = highestSustained(runs);
  const failedAbove = runs.filter((r) => !r.sustained && (held === null || r.rate > held)).map((r) => r.rate);
  const lowestFailed = failedAbove.length === 0 ? undefined : Math.min(...failedAbove);
  let next: number;
  if (lowestFailed === undefined) next = roundRate((held ?? 0) * SEARCH_GROWTH);
  else {
    const low = held ?? 0;
    if (lowestFailed - low <= SEARCH_RESOLUTION) return undefined;
    next = roundRate((low + lowestFailed) / 2);
    if (next <= low || next >= lowestFailed) next = Math.round((low + lowestFailed) / 2);
  }
  return tried.has(next) || next <= 0 ? undefined : next;
}
