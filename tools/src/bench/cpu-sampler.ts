/**
 * Samples CPU every SAMPLE_INTERVAL_MS while a rate runs: the fixed-pid processes by label, every child of
 * the private PostgreSQL server with the database pg_stat_activity gives its pid, and the machine.
 * `cpuOverWindow` (cpu-attribution.ts) turns the samples into CPU per component.
 */
import type pg from 'pg';
import type { BackendSample, CpuSample } from './cpu-attribution.ts';
import { readMachineStat, readProcessStat, readProcessTree } from './proc-stat.ts';

/** Short enough that a pooled backend living a few seconds is seen; cheap enough not to disturb (~1 ms). */
export const SAMPLE_INTERVAL_MS = 250;

export interface CpuSamplerOptions {
  /** Fixed-pid processes by label (services, broker, generator). */
  processes: () => Record<string, number | undefined>;
  postmasterPid?: number;
  /** A connection to the private server (any database) for pg_stat_activity. */
  admin?: pg.Client;
}

export class CpuSampler {
  readonly samples: CpuSample[] = [];
  readonly #options: CpuSamplerOptions;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(options: CpuSamplerOptions) {
    this.#options = options;
  }

  start(): void {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#busy) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.sample();
  }

  /** Takes one sample (skipped when the previous one is still running). */
  async sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { admin, postmasterPid } = this.#options;
      // Database first, /proc second: a backend in pg_stat_activity is then in /proc too, unless it exited.
      const activity = new Map<number, string>();
      if (admin !== undefined) {
        const { rows } = await admin.query<{ pid: number; datname: string | null }>(
          'select pid, datname from pg_stat_activity',
        );
        for (const row of rows) if (row.datname !== null) activity.set(row.pid, row.datname);
      }
      const processes: Record<string, number> = {};
      for (const [label, pid] of Object.entries(this.#options.processes())) {
        const stat = pid === undefined ? undefined : readProcessStat(pid);
        if (stat !== undefined) processes[label] = stat.ticks;
      }
      let postgres: CpuSample['postgres'];
      const tree = postmasterPid === undefined ? undefined : readProcessTree(postmasterPid);
      if (tree !== undefined) {
        const children: BackendSample[] = tree.children.map((child) => ({
          pid: child.pid,
          database: activity.get(child.pid),
          ticks: child.ticks,
        }));
        postgres = { postmasterTicks: tree.parent.ticks, exitedChildrenTicks: tree.parent.childTicks, children };
      }
      this.samples.push({
        at: Date.now(),
        processes,
        ...(postgres === undefined ? {} : { postgres }),
        machine: readMachineStat(),
      });
    } finally {
      this.#busy = false;
    }
  }
}
