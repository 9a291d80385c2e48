/**
 * Open-model load: request i is started at start + i / rate whatever happened to the earlier ones, so a
 * slow system meets the same arrival rate (a closed loop would slow down with it and hide the queueing).
 * A tick every TICK_MS starts every request that has become due.
 */
export const TICK_MS = 5;

export interface OpenModelOptions {
  /** Requests per second. */
  rate: number;
  durationSeconds: number;
  /** Starts request number `index`; its promise is tracked, never awaited by the scheduler. */
  fire(index: number): Promise<void>;
  signal?: AbortSignal;
}

/** Resolves when the last request was started (not finished); returns how many were started. */
export function runOpenModel(options: OpenModelOptions): Promise<number> {
  const total = Math.round(options.rate * options.durationSeconds);
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1_000) * options.rate));
      while (sent < due && !options.signal?.aborted) {
        void options.fire(sent);
        sent++;
      }
      if (sent >= total || options.signal?.aborted) {
        clearInterval(timer);
        resolve(sent);
      }
    }, TICK_MS);
  });
}
