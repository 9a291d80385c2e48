/**
 * Recovery measured from what the orders' own timestamps say (created_at, settled_at, read from the
 * database), second by second from the start of the load:
 * - "settling resumed": a fault that made the settled rate fall below RECOVERED_SHARE of the offered rate
 *   (both averaged over ROLLING_SECONDS) has recovered at the first second after the dip where the settled
 *   rate is back at that share; a fault that caused no dip recovered at once (0 s);
 * - "backlog cleared": orders placed but not yet settled back at the level before the faults (the deficit
 *   paid back, not only the rate restored);
 * - "orders affected": orders placed from the fault until the backlog cleared whose placed→final latency
 *   exceeded three times the p99 before the first fault, within AFFECTED_LATENCY_FLOOR_MS and
 *   AFFECTED_LATENCY_CEILING_MS.
 * A fault is watched until the next one starts (or the load ends); one still not recovered then is reported
 * as not recovered (null), never as the window's length.
 */

/** Width of the rolling window the rates are compared over. */
export const ROLLING_SECONDS = 3;
/** Settled/offered ratio that counts as "back to the offered rate" (per-second counts are noisy). */
export const RECOVERED_SHARE = 0.9;
/** Seconds at the start of the load left out of the baseline (connections, JIT, first rebalances). */
export const WARMUP_SECONDS = 5;
export const AFFECTED_LATENCY_FLOOR_MS = 1_000;
/** An overloaded baseline must not make every order look unaffected: never more than this. */
export const AFFECTED_LATENCY_CEILING_MS = 10_000;

export interface OrderTiming {
  createdAtMs: number;
  /** Undefined: never settled. */
  settledAtMs: number | undefined;
}

export interface FaultWindow {
  startedAtMs: number;
  /** Where this fault's observation ends: the next fault's start, or the end of the load and drain. */
  windowEndMs: number;
}

export interface FaultRecovery {
  /** Seconds from the fault until the settled rate was back at the offered rate; null: not within its window. */
  settlingResumedSeconds: number | null;
  /** Whether the settled rate fell below the offered rate at all. */
  dipped: boolean;
  /** Seconds from the fault until the backlog was back at its level before the faults; null: not within the window. */
  backlogClearedSeconds: number | null;
  ordersAffected: number;
  peakBacklog: number;
}

export interface Timeline {
  /** Second index 0 = the load's start. */
  offered: number[];
  settled: number[];
  /** Placed but not settled at the end of each second. */
  backlog: number[];
  /** placed→final p50 and p99 of the orders settled in each second (null: none). */
  p50Ms: Array<number | null>;
  p99Ms: Array<number | null>;
}

export function buildTimeline(
  startMs: number,
  seconds: number,
  offered: readonly number[],
  orders: readonly OrderTiming[],
): Timeline {
  const settled = new Array<number>(seconds).fill(0);
  const placed = new Array<number>(seconds).fill(0);
  const latencies: number[][] = Array.from({ length: seconds }, () => []);
  const at = (ms: number) => Math.min(seconds - 1, Math.max(0, Math.floor((ms - startMs) / 1_000)));
  for (const order of orders) {
    const placedAt = at(order.createdAtMs);
    placed[placedAt] = (placed[placedAt] ?? 0) + 1;
    if (order.settledAtMs !== undefined) {
      const s = at(order.settledAtMs);
      settled[s] = (settled[s] ?? 0) + 1;
      latencies[s]?.push(order.settledAtMs - order.createdAtMs);
    }
  }
  const backlog: number[] = [];
  let open = 0;
  for (let s = 0; s < seconds; s++) {
    open += (placed[s] ?? 0) - (settled[s] ?? 0);
    backlog.push(open);
  }
  const pct = (values: number[], p: number) => {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
  };
  return {
    offered: Array.from({ length: seconds }, (_, s) => offered[s] ?? 0),
    settled,
    backlog,
    p50Ms: latencies.map((values) => pct(values, 50)),
    p99Ms: latencies.map((values) => pct(values, 99)),
  };
}

function rolling(values: readonly number[], s: number): number {
  let sum = 0;
  for (let i = Math.max(0, s - ROLLING_SECONDS + 1); i <= s; i++) sum += values[i] ?? 0;
  return sum / ROLLING_SECONDS;
}

/** The backlog and latency before the first fault, the yardstick of "back to normal". */
export function baselineOf(timeline: Timeline, orders: readonly OrderTiming[], startMs: number, firstFaultMs: number) {
  const firstFault = Math.floor((firstFaultMs - startMs) / 1_000);
  const backlogs = timeline.backlog
    .slice(WARMUP_SECONDS, Math.max(WARMUP_SECONDS + 1, firstFault))
    .sort((a, b) => a - b);
  const backlog = backlogs[Math.floor(backlogs.length / 2)] ?? 0;
  const latencies = orders
    .filter(
      (o) =>
        o.settledAtMs !== undefined &&
        o.createdAtMs >= startMs + WARMUP_SECONDS * 1_000 &&
        o.createdAtMs < firstFaultMs,
    )
    .map((o) => (o.settledAtMs as number) - o.createdAtMs)
    .sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)] ?? 0;
  const offeredRate = rolling(timeline.offered, Math.max(0, firstFault - 1)) || 1;
  return {
    backlog,
    p99Ms: p99,
    /** Above this the backlog counts as grown: twice the normal one, and at least one second of offered orders. */
    backlogLimit: Math.max(2 * backlog, backlog + offeredRate),
    affectedLatencyMs: Math.min(AFFECTED_LATENCY_CEILING_MS, Math.max(AFFECTED_LATENCY_FLOOR_MS, 3 * p99)),
  };
}

export function measureRecovery(
  timeline: Timeline,
  orders: readonly OrderTiming[],
  startMs: number,
  fault: FaultWindow,
  baseline: ReturnType<typeof baselineOf>,
): FaultRecovery {
  const first = Math.max(0, Math.floor((fault.startedAtMs - startMs) / 1_000));
  const last = Math.min(timeline.settled.length - 1, Math.floor((fault.windowEndMs - startMs) / 1_000));
  const secondsSinceFault = (s: number) => Math.max(0, (startMs + (s + 1) * 1_000 - fault.startedAtMs) / 1_000);
  const healthy = (s: number) => rolling(timeline.settled, s) >= RECOVERED_SHARE * rolling(timeline.offered, s);

  let settlingResumedSeconds: number | null = 0;
  let dipped = false;
  const dip = range(first, last).find((s) => !healthy(s));
  if (dip !== undefined) {
    dipped = true;
    const back = range(dip + 1, last).find(healthy);
    settlingResumedSeconds = back === undefined ? null : round1(secondsSinceFault(back));
  }

  let backlogClearedSeconds: number | null = 0;
  let clearedAt = first;
  const grown = range(first, last).find((s) => (timeline.backlog[s] ?? 0) > baseline.backlogLimit);
  if (grown !== undefined) {
    const cleared = range(grown + 1, last).find((s) => (timeline.backlog[s] ?? 0) <= baseline.backlogLimit);
    backlogClearedSeconds = cleared === undefined ? null : round1(secondsSinceFault(cleared));
    clearedAt = cleared ?? last;
  }
  const peakBacklog = Math.max(0, ...range(first, last).map((s) => timeline.backlog[s] ?? 0));
  const affectedUntil = Math.max(startMs + (clearedAt + 1) * 1_000, fault.startedAtMs);
  const ordersAffected = orders.filter(
    (o) =>
      o.createdAtMs >= fault.startedAtMs - baseline.affectedLatencyMs &&
      o.createdAtMs <= affectedUntil &&
      (o.settledAtMs === undefined || o.settledAtMs - o.createdAtMs > baseline.affectedLatencyMs),
  ).length;
  return { settlingResumedSeconds, dipped, backlogClearedSeconds, ordersAffected, peakBacklog };
}

function range(from: number, to: number): number[] {
  return to < from ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
