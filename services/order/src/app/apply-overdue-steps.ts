/**
 * The deadline use case: finds step attempts whose reply is overdue and lets the saga decide (re-send the
 * same command, give the step up and compensate, or park the saga for an operator).
 *
 * In sets: one statement finds the overdue attempts by the database's clock (oldest deadline first), then
 * one transaction locks all their sagas and decides each attempt on its saga as the previous decisions left
 * it (a refund and a release overdue together), writing every change set-based (`withLockedSagas`). The
 * domain re-checks each attempt under the lock (it ignores one that was answered or re-sent meanwhile), so
 * several Order Service instances may scan at once: they serialise per order and at most one of them acts.
 * A failed transaction (database down) changes nothing and the attempts are found again later: deadlines
 * are data, not timers, so a restarted service resumes them where they were.
 */
import { classifyFailure, inTransaction } from '@shop/platform';
import { sagaRepository } from '../db/saga-repository.ts';
import { onStepDeadline } from '../domain/saga/on-step-deadline.ts';
import type { OverdueStep } from '../domain/saga/saga-store.ts';
import type { SagaUseCaseDependencies } from './saga-dependencies.ts';
import { withLockedSagas } from './with-locked-sagas.ts';

/** Overdue attempts handled per call; the rest wait for the next one (oldest deadline first). */
export const DEADLINE_SCAN_BATCH = 200;

/**
 * Handles the attempts overdue now; returns how many changed a saga. `stopped` is asked between
 * transactions: once it answers true, nothing more is started.
 */
export async function applyOverdueSteps(
  dependencies: SagaUseCaseDependencies,
  stopped: () => boolean = () => false,
): Promise<number> {
  const overdue = await sagaRepository.findOverdueSteps(dependencies.pool, DEADLINE_SCAN_BATCH);
  if (overdue.length === 0 || stopped()) return 0;
  try {
    return await applyInOneTransaction(dependencies, overdue);
  } catch (error) {
    if (overdue.length === 1 || classifyFailure(error).kind === 'infrastructure') throw error;
    // One saga's own failure (a decision whose command cannot be built) must not hold back every other
    // overdue step: apply them one order at a time, and leave the failing one for the log and a later scan.
    const { logger } = dependencies;
    logger.warn({ err: error }, 'saga deadline batch failed; applying its orders one by one');
    let acted = 0;
    for (const orderId of new Set(overdue.map((step) => step.orderId))) {
      if (stopped()) break;
      acted += await applyInOneTransaction(
        dependencies,
        overdue.filter((step) => step.orderId === orderId),
      ).catch((failure: unknown) => {
        if (classifyFailure(failure).kind === 'infrastructure') throw failure;
        logger.error({ err: failure, orderId }, 'saga deadline could not be applied');
        return 0;
      });
    }
    return acted;
  }
}

/** Decides and writes the given overdue attempts in one transaction; returns how many changed a saga. */
async function applyInOneTransaction(
  dependencies: SagaUseCaseDependencies,
  overdue: readonly OverdueStep[],
): Promise<number> {
  const { pool, logger } = dependencies;
  return inTransaction(pool, async (client) => {
    const outcomes = await withLockedSagas({ client, logger }, dependencies, overdue, (saga, { step }, context) =>
      onStepDeadline(saga, step, context),
    );
    let acted = 0;
    outcomes.forEach((outcome, index) => {
      // A failure rolls the whole transaction back, and the caller retries order by order.
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind !== 'decided' || outcome.decision.kind !== 'change') return;
      const { saga, decision } = outcome;
      logger.info(
        { orderId: saga.orderId, step: overdue[index]?.step, sagaState: saga.state, nextState: decision.state },
        'saga step overdue',
      );
      acted++;
    });
    return acted;
  });
}
