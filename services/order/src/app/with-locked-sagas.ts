/**
 * The one path by which a saga changes: lock the sagas, decide each input on its saga, apply every change
 * in one write set. The reply consumer (a fetched batch), the deadline scanner (a scan's overdue attempts)
 * and the HTTP requests (cancel, operator retry: a set of one) all go through `withLockedSagas`.
 *
 * Set-based: the sagas of all inputs are locked with one statement, in order id order (two transactions over
 * overlapping sagas wait for each other, never deadlock), and their open steps read with a second one, which
 * also reads the database's clock: the `now` of every decision (the clock deadlines are compared on). Then
 * each input is decided in memory, in input order, on its saga as the earlier inputs left it (two inputs for
 * one saga apply one after the other, exactly as in two transactions); then everything, outbox rows
 * included, is written with one statement (saga-write-set.ts).
 */
import { type EventMeta, newId } from '@shop/contracts';
import { inTransaction, type Logger, type PoolClient } from '@shop/platform';
import { sagaRepository } from '../db/saga-repository.ts';
import type { DecisionContext, SagaDecision } from '../domain/saga/saga-model.ts';
import type { LockedSaga } from '../domain/saga/saga-store.ts';
import { orderError } from '../errors.ts';
import type { SagaDependencies, SagaUseCaseDependencies } from './saga-dependencies.ts';
import { SagaWriteSet } from './saga-write-set.ts';

/** One input for a saga. */
export interface SagaInput {
  readonly orderId: string;
  /** The event that caused it (a reply): recorded on the steps it finishes; its commands continue its trace. */
  readonly cause?: EventMeta;
}

/** What became of one input; a `change` decision has been applied (written with the others). */
export type SagaOutcome =
  /** No saga for the order; `released`: a ReleaseReservation for it was written with the batch's changes. */
  | { readonly kind: 'unknown-order'; readonly released: boolean }
  | { readonly kind: 'decided'; readonly saga: LockedSaga; readonly decision: SagaDecision }
  /** Deciding or applying threw (e.g. a command that would break its contract): nothing of it was applied. */
  | { readonly kind: 'failed'; readonly error: unknown };

export type Decide<I extends SagaInput> = (saga: LockedSaga, input: I, context: DecisionContext) => SagaDecision;

/**
 * Whether an input for an order this service does not have asks to release what Inventory holds for that
 * order id (a reservation made for an OrderPlaced that this service never wrote: nothing else would free it).
 */
export type ReleasesUnknownOrder<I extends SagaInput> = (input: I) => boolean;

/** The transaction to work in, and its logger. */
export interface SagaTransaction {
  readonly client: PoolClient;
  readonly logger: Logger;
}

/**
 * Decides `inputs` on their locked sagas inside `transaction` (the caller's: it commits or rolls back
 * everything together) and returns one outcome per input, in input order. An input that failed failed on
 * its own: no I/O happens between the lock and the write, and applying a change is atomic.
 */
export async function withLockedSagas<I extends SagaInput>(
  transaction: SagaTransaction,
  dependencies: SagaDependencies,
  inputs: readonly I[],
  decide: Decide<I>,
  releasesUnknownOrder: ReleasesUnknownOrder<I> = () => false,
): Promise<SagaOutcome[]> {
  if (inputs.length === 0) return [];
  const { client, logger } = transaction;
  const locked = await sagaRepository.lockSagas(
    client,
    inputs.map((input) => input.orderId),
  );
  const context: DecisionContext = {
    now: locked.now,
    settings: dependencies.settings,
    newId: dependencies.newId ?? (() => newId()),
  };
  const writes = new SagaWriteSet(dependencies, logger);
  const outcomes = inputs.map((input): SagaOutcome => {
    const saga = writes.current(input.orderId) ?? locked.sagas.get(input.orderId);
    if (saga === undefined) {
      if (!releasesUnknownOrder(input)) return { kind: 'unknown-order', released: false };
      try {
        writes.releaseUnknownOrder(input.orderId, input.cause);
        return { kind: 'unknown-order', released: true };
      } catch (error) {
        return { kind: 'failed', error };
      }
    }
    try {
      const decision = decide(saga, input, context);
      if (decision.kind === 'change') writes.apply(saga, decision, input.cause);
      return { kind: 'decided', saga, decision };
    } catch (error) {
      return { kind: 'failed', error };
    }
  });
  await writes.flush(client);
  return outcomes;
}

/**
 * One request's decision on one saga, in a transaction of its own: a set of one. Throws `ORD_NOT_FOUND` for
 * an unknown order, the decision's code when it rejects the request, or what failed; otherwise returns the
 * decision (applied when it is a change, nothing written when it is ignored).
 */
export async function withLockedSaga(
  dependencies: SagaUseCaseDependencies,
  orderId: string,
  decide: (saga: LockedSaga, context: DecisionContext) => SagaDecision,
): Promise<SagaDecision> {
  const [outcome] = await inTransaction(dependencies.pool, (client) =>
    withLockedSagas({ client, logger: dependencies.logger }, dependencies, [{ orderId }], (saga, _input, context) =>
      decide(saga, context),
    ),
  );
  if (outcome === undefined || outcome.kind === 'unknown-order')
    throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
  if (outcome.kind === 'failed') throw outcome.error;
  const { decision } = outcome;
  if (decision.kind === 'reject') throw orderError(decision.code, decision.message, { details: { orderId } });
  return decision;
}
