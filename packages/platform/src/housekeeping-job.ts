/**
 * A periodic housekeeping task (pruning, erasing what is past its retention): runs once at start and then
 * every interval until stopped. A failure (the database down) is logged and tried again at the next
 * interval: housekeeping never retries in a loop, never crashes the service and never keeps a process alive
 * on its own. `stopping()` tells a long run (batch after batch) to end after its current batch.
 */
import type { Logger } from './logger.ts';

export interface HousekeepingJobOptions {
  intervalMs: number;
  logger: Logger;
  /** Logged with the failure, e.g. 'inbox pruning failed'. */
  failureMessage: string;
  /** Fields logged with the failure. Default: none. */
  logFields?: Record<string, unknown>;
  /** One run; should return soon after `stopping()` turns true. */
  run(stopping: () => boolean): Promise<void>;
}

export class HousekeepingJob {
  readonly #options: HousekeepingJobOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #started = false;
  #stopping = false;

  constructor(options: HousekeepingJobOptions) {
    this.#options = options;
  }

  /** True from `stop` on: a run in progress ends after its current batch. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Runs once now, then every interval, until `stop`. */
  start(): void {
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  /** Cancels the next run and waits for the one in progress (if any) to end. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#options
        .run(() => this.#stopping)
        .catch((error) => {
          this.#options.logger.warn({ err: error, ...this.#options.logFields }, this.#options.failureMessage);
        })
        .finally(() => this.#schedule(this.#options.intervalMs));
    }, delayMs);
    this.#timer.unref();
  }
}
