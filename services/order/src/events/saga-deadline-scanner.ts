/**
 * The saga's deadline scanner: the inbound adapter for time. Every `intervalMs` it runs the deadline use
 * case (app/apply-overdue-steps.ts); a failed scan is logged and retried at the next tick. Deadlines are
 * data, so stopping the scanner loses nothing: the next instance to scan finds them.
 */
import type { Logger } from '@shop/platform';
import { applyOverdueSteps } from '../app/apply-overdue-steps.ts';
import type { SagaUseCaseDependencies } from '../app/saga-dependencies.ts';

export interface SagaDeadlineScannerOptions extends SagaUseCaseDependencies {
  logger: Logger;
  intervalMs: number;
}

export class SagaDeadlineScanner {
  readonly #options: SagaDeadlineScannerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: SagaDeadlineScannerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.scanOnce()
        .then(
          () => undefined,
          (error: unknown) =>
            this.#options.logger.warn({ err: error }, 'saga deadline scan failed; retrying next tick'),
        )
        .finally(() => this.#schedule());
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Handles the attempts overdue now; returns how many were acted on. */
  scanOnce(): Promise<number> {
    return applyOverdueSteps(this.#options, () => this.#stopped);
  }
}
