/**
 * The saga's deadline scanner: finds step attempts whose reply is overdue and lets the saga decide (re-send
 * the same command, give the step up and compensate, or park the saga for an operator).
 *
 * Each overdue attempt is handled in its own transaction under the order's row lock, and re-checked there
 * (the domain ignores an attempt that was answered or re-sent meanwhile), so several Order Service instances
 * may scan at once: they serialise per order and at most one of them acts. A failed transaction (database
 * down) changes nothing and the attempt is found again on a later tick: deadlines are data, not timers, so
 * a restarted service resumes them where they were.
 */
import { inTransaction, type Pool } from '@shop/platform/db/pool';
import type { Logger } from '@shop/platform/logger';
import { findOverdueSteps, lockSaga } from '../db/order-repository.ts';
import { onStepDeadline } from '../domain/order-saga.ts';
import { applySagaDecision, type SagaEffectsDependencies } from './saga-effects.ts';

/** Overdue attempts handled per tick; the rest wait for the next one (oldest deadline first). */
export const DEADLINE_SCAN_BATCH = 200;

export interface SagaDeadlineScannerOptions extends SagaEffectsDependencies {
  pool: Pool;
  logger: Logger;
  intervalMs: number;
  now?: () => Date;
  newId?: () => string;
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
  async scanOnce(): Promise<number> {
    const { pool, logger, settings } = this.#options;
    const now = this.#options.now ?? (() => new Date());
    const newId = this.#options.newId ?? (() => crypto.randomUUID());
    const overdue = await findOverdueSteps(pool, DEADLINE_SCAN_BATCH);
    let acted = 0;
    for (const { orderId, step } of overdue) {
      if (this.#stopped) break;
      acted += await inTransaction(pool, async (client) => {
        const saga = await lockSaga(client, orderId);
        if (saga === undefined) return 0;
        const decision = onStepDeadline(saga, step, { now: now(), settings, newId });
        if (decision.kind !== 'change') return 0;
        logger.info({ orderId, step, sagaState: saga.state, nextState: decision.state }, 'saga step overdue');
        await applySagaDecision(this.#options, client, saga, decision, { logger });
        return 1;
      });
    }
    return acted;
  }
}
