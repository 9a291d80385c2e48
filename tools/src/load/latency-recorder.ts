/**
 * Exact percentiles over the samples of one run (a 60 s run at 500/s is 30,000 numbers: sorting them is
 * cheaper than being wrong with a sketch), plus a sliding window for the live "current p99".
 */
export class LatencyRecorder {
  readonly #samples: number[] = [];
  readonly #recent: Array<{ at: number; ms: number }> = [];
  readonly #windowMs: number;

  constructor(windowMs = 5_000) {
    this.#windowMs = windowMs;
  }

  record(ms: number, at = Date.now()): void {
    this.#samples.push(ms);
    this.#recent.push({ at, ms });
  }

  get count(): number {
    return this.#samples.length;
  }

  /** Percentile (0–100) of everything recorded, nearest-rank; undefined when empty. */
  percentile(p: number): number | undefined {
    return percentile(this.#samples, p);
  }

  /** Percentile over the last `windowMs` only: what the progress line shows. */
  recentPercentile(p: number, now = Date.now()): number | undefined {
    while (this.#recent.length > 0 && (this.#recent[0]?.at ?? now) < now - this.#windowMs) this.#recent.shift();
    return percentile(
      this.#recent.map((s) => s.ms),
      p,
    );
  }

  summary(): LatencySummary {
    const max = this.#samples.reduce((m, v) => Math.max(m, v), 0);
    return {
      count: this.count,
      p50: this.percentile(50) ?? null,
      p95: this.percentile(95) ?? null,
      p99: this.percentile(99) ?? null,
      max: this.count === 0 ? null : max,
    };
  }
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
