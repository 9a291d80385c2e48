/**
 * Applies saga decisions inside the caller's transaction: the rows, the commands of the started steps and
 * the outcome events (both through the outbox, so they are published if and only if the changes commit),
 * and, once the transaction has ended, the in-process wake-up of the requests waiting for those orders.
 *
 * Every input goes through here, whatever its source: one place decides what a change writes, so a reply,
 * a deadline and a cancellation cannot disagree on what "start the refund" means.
 *
 * Work in sets: `apply` folds each decided change onto the saga's in-memory state (`sagaAfter`: the next
 * input of the same saga is decided on the result), and `flush` writes everything, outbox rows included, with
 * one set-based statement, whatever the number of changes.
 */
import type { EventMeta } from '@shop/contracts';
import type { EncodedOutboxEvent, EventCause, Logger, PoolClient } from '@shop/platform';
import { sagaRepository } from '../db/saga-repository.ts';
import type { CancelReason, FinalOrderStatus } from '../domain/order.ts';
import { sagaAfter } from '../domain/saga/saga-change.ts';
import type { SagaChange, SagaStep } from '../domain/saga/saga-model.ts';
import type { LockedSaga, OrderWrite, StartedAttempt, StepUpdate } from '../domain/saga/saga-store.ts';
import { recordSettlement } from '../metrics.ts';
import type { SagaDependencies } from './saga-dependencies.ts';
import { encodeCommand, encodeOutcome } from './saga-events.ts';

/** Where a saga stands in this transaction: as locked, as it is after the changes so far, and what to write. */
interface SagaTrack {
  readonly initial: LockedSaga;
  current: LockedSaga;
  totalSet: boolean;
  cancelReason?: CancelReason;
  /** The final status the order first reached in this transaction (for the settlement histogram). */
  settledAs?: FinalOrderStatus;
  /** Open attempts by step: one that existed before this transaction, or one this transaction inserts. */
  readonly open: Map<SagaStep, { readonly existing: true } | { readonly insert: StartedAttempt }>;
  /** The final update of each attempt that was open before this transaction. */
  readonly updates: Map<SagaStep, StepUpdate>;
}

/**
 * The changes of one transaction, folded per saga in the order they were applied. One set per transaction,
 * flushed once.
 */
export class SagaWriteSet {
  readonly #dependencies: SagaDependencies;
  readonly #logger: Logger;
  readonly #tracks = new Map<string, SagaTrack>();
  readonly #events: EncodedOutboxEvent[] = [];
  readonly #inserts: StartedAttempt[] = [];
  readonly #afterFlush: Array<() => void> = [];

  constructor(dependencies: SagaDependencies, logger: Logger) {
    this.#dependencies = dependencies;
    this.#logger = logger;
  }

  /** The saga as the changes applied so far left it, or `undefined` if none was applied to it. */
  current(orderId: string): LockedSaga | undefined {
    return this.#tracks.get(orderId)?.current;
  }

  /**
   * Applies `change`, decided on `saga` (the locked saga, or `current(orderId)` once a change was applied to
   * it), and returns the saga after it. `cause` is the reply that caused it, if any: its id is recorded on
   * the steps it finishes, and the commands continue its trace; other inputs continue the order's flow.
   * Atomic: when it throws (a command that would violate its contract), nothing of the change was recorded.
   */
  apply(saga: LockedSaga, change: SagaChange, cause?: EventMeta): LockedSaga {
    const { events, metrics } = this.#dependencies;
    const causedBy: EventCause = cause === undefined ? { correlationId: saga.orderId } : { cause };
    const after = sagaAfter(saga, change);
    // Everything that can throw first: the events, in publishing order (commands, stray release, outcome).
    const commands = change.starts.map((start) => ({
      start,
      encoded: encodeCommand(events, after, start.step, causedBy),
    }));
    const stray =
      change.releaseStray === true
        ? events.encode({ type: 'ReleaseReservation', payload: { orderId: saga.orderId }, causedBy })
        : undefined;
    const outcome = change.outcome === undefined ? undefined : encodeOutcome(events, after, change.outcome, causedBy);

    const track = this.#track(saga);
    track.current = after;
    for (const command of commands) this.#events.push(command.encoded);
    if (stray !== undefined) this.#events.push(stray);
    if (outcome !== undefined) this.#events.push(outcome);
    if (change.fields.total !== undefined) track.totalSet = true;
    if (change.outcome?.type === 'OrderCancelled') track.cancelReason = change.outcome.reason;
    if (track.settledAs === undefined && after.orderStatus !== 'PENDING' && after.orderStatus !== saga.orderStatus) {
      track.settledAs = after.orderStatus;
    }
    const replyEventId = cause?.eventId;
    for (const closed of change.closes) {
      const open = track.open.get(closed.step);
      if (open === undefined) continue;
      track.open.delete(closed.step);
      if ('existing' in open) {
        track.updates.set(closed.step, {
          orderId: saga.orderId,
          step: closed.step,
          status: closed.status,
          ...(replyEventId === undefined ? {} : { replyEventId }),
        });
      } else {
        open.insert.status = closed.status;
        delete open.insert.deadlineAt;
        if (replyEventId !== undefined) open.insert.replyEventId = replyEventId;
      }
    }
    for (const parked of change.parks) {
      const open = track.open.get(parked);
      if (open === undefined) continue;
      if ('existing' in open) track.updates.set(parked, { orderId: saga.orderId, step: parked, status: 'STARTED' });
      else delete open.insert.deadlineAt;
    }
    for (const { start, encoded } of commands) {
      const insert: StartedAttempt = {
        orderId: saga.orderId,
        step: start.step,
        status: 'STARTED',
        requestEventId: encoded.meta.eventId,
        deadlineAt: start.deadlineAt,
      };
      this.#inserts.push(insert);
      track.open.set(start.step, { insert });
    }

    // Counted and logged once the writes are done (still before the commit: a commit that then fails, which
    // is rare, is retried and may count twice).
    this.#afterFlush.push(() => {
      if (stray !== undefined) {
        metrics.strayReleases.inc();
        this.#logger.warn(
          { orderId: saga.orderId, sagaState: saga.state },
          'stock reserved after the saga gave up on it; released again',
        );
      }
      for (const closed of change.closes) {
        if (closed.status === 'TIMED_OUT') metrics.stepTimeouts.inc({ step: closed.step });
      }
      for (const parked of change.parks) {
        metrics.compensationFailures.inc({ step: parked });
        this.#logger.error(
          { orderId: saga.orderId, step: parked },
          'saga step unanswered after every attempt: COMPENSATION_FAILED, waiting for an operator (npm run cli -- saga retry)',
        );
      }
    });
    return after;
  }

  /**
   * Asks Inventory to release whatever it holds for `orderId`, an order this service does not have (a
   * reservation for an OrderPlaced someone else wrote). Written with the other changes, so it is published if
   * and only if the batch commits; a second copy of the reply releases again, which Inventory answers without
   * moving stock (its release is idempotent per order). Atomic like `apply`.
   */
  releaseUnknownOrder(orderId: string, cause?: EventMeta): void {
    const causedBy: EventCause = cause === undefined ? { correlationId: orderId } : { cause };
    this.#events.push(this.#dependencies.events.encode({ type: 'ReleaseReservation', payload: { orderId }, causedBy }));
  }

  /**
   * Writes every applied change on `client` in one statement: the outbox rows, the sagas, the orders and
   * the steps (nothing at all when no change was applied). Arranges the wake-up of the orders whose
   * status changed for when the transaction ends, and returns their ids.
   */
  async flush(client: PoolClient): Promise<string[]> {
    const tracks = [...this.#tracks.values()];
    if (tracks.length === 0 && this.#events.length === 0) return [];
    const { metrics, wakeups } = this.#dependencies;
    const orders: OrderWrite[] = [];
    for (const track of tracks) {
      const { initial, current } = track;
      if (current.orderStatus === initial.orderStatus && !track.totalSet) continue;
      orders.push({
        orderId: current.orderId,
        status: current.orderStatus,
        ...(track.totalSet && current.total !== undefined ? { total: current.total } : {}),
        ...(track.cancelReason === undefined ? {} : { cancelReason: track.cancelReason }),
        settles: initial.orderStatus === 'PENDING' && current.orderStatus !== 'PENDING',
      });
    }
    const settled = await sagaRepository.writeSagaChanges(client, {
      sagas: tracks.map((track) => track.current),
      orders,
      stepUpdates: tracks.flatMap((track) => [...track.updates.values()]),
      startedAttempts: this.#inserts,
      // After the locks (taken before any decision): the outbox ids of one order follow the decision order.
      outbox: this.#events.map((event) => event.message),
    });
    for (const track of tracks) {
      const seconds = settled.get(track.current.orderId);
      if (seconds !== undefined && track.current.orderStatus !== 'PENDING') {
        recordSettlement(metrics, track.settledAs ?? track.current.orderStatus, seconds);
      }
    }
    for (const done of this.#afterFlush) done();
    const changed = tracks
      .filter((track) => track.current.orderStatus !== track.initial.orderStatus)
      .map((track) => track.current.orderId);
    if (changed.length > 0) wakeups?.afterTransaction(client, changed);
    return changed;
  }

  #track(saga: LockedSaga): SagaTrack {
    let track = this.#tracks.get(saga.orderId);
    if (track === undefined) {
      track = {
        initial: saga,
        current: saga,
        totalSet: false,
        open: new Map(saga.openSteps.map((open) => [open.step, { existing: true } as const])),
        updates: new Map(),
      };
      this.#tracks.set(saga.orderId, track);
    }
    return track;
  }
}
