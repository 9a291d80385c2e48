/**
 * Turns periodic CPU samples into CPU per component over a window. Pure: the sampler gathers, this counts,
 * so the counting is tested on synthetic samples.
 *
 * Processes with a fixed pid (services, broker, generator) are simply "ticks at the window's end minus
 * ticks at its start". PostgreSQL is different: the services' pools open and close backends all the time,
 * so a pid is short-lived and is accounted to its database, sample pair by sample pair:
 * - a backend present in both samples of a pair contributes its tick delta;
 * - a backend first seen in the later sample was born in between, so all its ticks are new;
 * - a backend that exited between two samples loses its last slice: that CPU is still in the server's total
 *   (the postmaster's cutime/cstime collects waited-for children), and shows as "exited backends".
 */

/** Group name for PostgreSQL's own processes (postmaster, walwriter, checkpointer, …). */
export const POSTGRES_SERVER_GROUP = 'postgres (server)';
/** CPU in the server's total that no live backend carried: the last slice of backends that exited. */
export const EXITED_BACKENDS_GROUP = 'exited backends (unattributed)';

export interface BackendSample {
  pid: number;
  /** The backend's database, when pg_stat_activity showed one; undefined for a background process. */
  database?: string | undefined;
  /** utime + stime. */
  ticks: number;
}

export interface CpuSample {
  /** Milliseconds since the epoch. */
  at: number;
  /** Fixed-pid processes by label: utime + stime. A label missing from a sample is skipped there. */
  processes: Record<string, number>;
  /** PostgreSQL: the postmaster's own ticks + its waited-for children's, and every live child. */
  postgres?: { postmasterTicks: number; exitedChildrenTicks: number; children: BackendSample[] };
  machine: { busyTicks: number; totalTicks: number };
}

export interface WindowCpu {
  /** The samples actually used (first at or after the start, last at or before the end). */
  fromAt: number;
  toAt: number;
  /** Ticks per fixed-pid process label. */
  processes: Record<string, number>;
  /** Ticks per database, plus POSTGRES_SERVER_GROUP and EXITED_BACKENDS_GROUP. */
  postgres: Record<string, number>;
  /** The whole server's ticks over the window (sum of `postgres`). */
  postgresTotal: number;
  machineBusyTicks: number;
  machineTotalTicks: number;
}

function postgresTotal(sample: CpuSample): number {
  const pg = sample.postgres;
  if (pg === undefined) return 0;
  return pg.postmasterTicks + pg.exitedChildrenTicks + pg.children.reduce((sum, child) => sum + child.ticks, 0);
}

/**
 * CPU per component between `from` and `to` (epoch ms). Undefined when fewer than two samples fall in the
 * window.
 */
export function cpuOverWindow(samples: readonly CpuSample[], from: number, to: number): WindowCpu | undefined {
  const inWindow = samples.filter((s) => s.at >= from && s.at <= to).sort((a, b) => a.at - b.at);
  const first = inWindow[0];
  const last = inWindow.at(-1);
  if (first === undefined || last === undefined || inWindow.length < 2) return undefined;

  const processes: Record<string, number> = {};
  for (const label of new Set(inWindow.flatMap((s) => Object.keys(s.processes)))) {
    const seen = inWindow.filter((s) => s.processes[label] !== undefined);
    const a = seen[0]?.processes[label];
    const b = seen.at(-1)?.processes[label];
    if (a !== undefined && b !== undefined) processes[label] = Math.max(0, b - a);
  }

  // A pid's database is learned once (pg_stat_activity may miss a backend still authenticating), and kept.
  const databaseOf = new Map<number, string>();
  for (const s of samples) {
    for (const child of s.postgres?.children ?? []) {
      if (child.database !== undefined) databaseOf.set(child.pid, child.database);
    }
  }
  const groupOf = (pid: number) => databaseOf.get(pid) ?? POSTGRES_SERVER_GROUP;
  const postgres: Record<string, number> = {};
  const add = (group: string, ticks: number) => {
    if (ticks > 0) postgres[group] = (postgres[group] ?? 0) + ticks;
  };
  for (let i = 1; i < inWindow.length; i++) {
    const before = inWindow[i - 1]?.postgres;
    const after = inWindow[i]?.postgres;
    if (before === undefined || after === undefined) continue;
    const ticksBefore = new Map(before.children.map((c) => [c.pid, c.ticks]));
    for (const child of after.children) {
      const previous = ticksBefore.get(child.pid);
      add(groupOf(child.pid), previous === undefined ? child.ticks : child.ticks - previous);
    }
    add(POSTGRES_SERVER_GROUP, after.postmasterTicks - before.postmasterTicks);
  }
  const total = postgresTotal(last) - postgresTotal(first);
  const attributed = Object.values(postgres).reduce((a, b) => a + b, 0);
  // Exited backends' last slices are in the total but in no live child: the remainder. (Ticks are whole
  // numbers rounded by the kernel, so a tiny negative remainder is rounding, not CPU.)
  add(EXITED_BACKENDS_GROUP, total - attributed);
  return {
    fromAt: first.at,
    toAt: last.at,
    processes,
    postgres,
    postgresTotal: Math.max(total, attributed),
    machineBusyTicks: last.machine.busyTicks - first.machine.busyTicks,
    machineTotalTicks: last.machine.totalTicks - first.machine.totalTicks,
  };
}
