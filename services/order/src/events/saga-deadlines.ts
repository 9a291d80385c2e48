/**
 * The saga's deadline scanner: finds step attempts whose reply is overdue and lets the saga decide (re-send
 * the same command, give the step up and compensate, or park the saga for an operator).
 *
 * In sets: one statement finds the overdue attempts (oldest deadline first), then one transaction locks all
 * their sagas (one statement, in order id order, like the reply consumer: the two never deadlock), decides
 * each attempt in memory on its saga as the previous decisions left it (a refund and a release overdue
 * together), and writes every change set-based. The domain re-checks each attempt under the lock (it ignores
 * one that was answered or re-sent meanwhile), so several Order Service instances may scan at once: they
 * serialise per order and at most one of them acts. A failed transaction (database down) changes nothing
 * and the attempts are found again on a later tick: deadlines are data, not timers, so a restarted service
 * resumes them where they were.
 */
import { classifyFailure, inTransaction, type Logger, type Pool } from '@shop/platform';
import { findOverdueSteps, lockSagas } from '../db/order-repository.ts';
import { onStepDeadline, type SagaStep } from '../domain/order-saga.ts';
import { type SagaEffectsDependencies, SagaWriteSet } from './saga-effects.ts';

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
    const overdue = await findOverdueSteps(this.#options.pool, DEADLINE_SCAN_BATCH);
    if (overdue.length === 0 || this.#stopped) return 0;
    try {
      return await this.#apply(overdue);
    } catch (error) {
      if (overdue.length === 1 || classifyFailure(error).kind === 'infrastructure') throw error;
      // One saga's own failure (a decision whose command cannot be built) must not hold back every other
      // overdue step: apply them one order at a time, and leave the failing one for the log and a later tick.
      this.#options.logger.warn({ err: error }, 'saga deadline batch failed; applying its orders one by one');
      let acted = 0;
      for (const orderId of new Set(overdue.map((step) => step.orderId))) {
        if (this.#stopped) break;
        acted += await this.#apply(overdue.filter((step) => step.orderId === orderId)).catch((failure: unknown) => {
          if (classifyFailure(failure).kind === 'infrastructure') throw failure;
          this.#options.logger.error({ err: failure, orderId }, 'saga deadline could not be applied');
          return 0;
        });
      }
      return acted;
    }
  }

  /** Decides and writes the given overdue attempts in one transaction; returns how many changed a saga. */
  async #apply(overdue: ReadonlyArray<{ orderId: string; step: SagaStep }>): Promise<number> {
    const { pool, logger, settings } = this.#options;
    const now = this.#options.now ?? (() => new Date());
    const newId = this.#options.newId ?? (() => crypto.randomUUID());
    return inTransaction(pool, async (client) => {
      const locked = await lockSagas(
        client,
        overdue.map((step) => step.orderId),
      );
      const writes = new SagaWriteSet(this.#options, logger);
      let acted = 0;
      for (const { orderId, step } of overdue) {
        const saga = writes.current(orderId) ?? locked.get(orderId);
        if (saga === undefined) continue;
        const decision = onStepDeadline(saga, step, { now: now(), settings, newId });
        if (decision.kind !== 'change') continue;
        logger.info({ orderId, step, sagaState: saga.state, nextState: decision.state }, 'saga step overdue');
        writes.apply(saga, decision);
        acted++;
      }
      await writes.flush(client);
      return acted;
    });
  }
}
