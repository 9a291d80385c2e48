import type { Money } from '@shop/contracts';
/**
 * The saga's persistence port: what the application needs from storage to decide and apply saga changes.
 * Implemented by db/saga-repository.ts. Generic over the transaction handle (`Tx`) and the encoded event
 * (`Event`), so the domain names neither SQL nor the outbox's row format.
 */
import type { CancelReason, Contact, OrderStatus } from '../order.ts';
import type { SagaSnapshot, SagaStep, StepStatus } from './saga-model.ts';

/** The saga as its decisions need it, plus what its commands and outcome events carry. */
export interface LockedSaga extends SagaSnapshot {
  readonly contact: Contact;
}

/** Sagas locked for the rest of a transaction. */
export interface LockedSagas {
  /** By order id; ids without an order are absent. */
  readonly sagas: ReadonlyMap<string, LockedSaga>;
  /**
   * The database's clock once every lock is held: the `now` of every decision made on these sagas, so
   * deadlines are written on the clock they are judged on (saga-timing.ts).
   */
  readonly now: Date;
}

/** The order row of a changed saga: its status and what the change set on it. */
export interface OrderWrite {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** Set when the reservation quoted it; absent: unchanged. */
  readonly total?: Money;
  /** Set when the order was cancelled; absent: unchanged. */
  readonly cancelReason?: CancelReason;
  /** True when the order left PENDING in this transaction: its settlement time is returned. */
  readonly settles: boolean;
}

/** An open attempt that this transaction closes (`status` final) or parks (`status` STARTED: no deadline). */
export interface StepUpdate {
  readonly orderId: string;
  readonly step: SagaStep;
  readonly status: StepStatus;
  /** The reply that finished it (recorded for SUCCEEDED and FAILED). */
  readonly replyEventId?: string;
}

/** An attempt started in this transaction, as it stands at its end (it may already be closed or parked). */
export interface StartedAttempt {
  readonly orderId: string;
  readonly step: SagaStep;
  status: StepStatus;
  readonly requestEventId: string;
  deadlineAt?: Date;
  replyEventId?: string;
}

/** Everything one transaction's saga changes write. */
export interface SagaWrites<Event> {
  /** Every changed saga as it is after all of this transaction's changes. */
  readonly sagas: readonly LockedSaga[];
  readonly orders: readonly OrderWrite[];
  /** At most one per (order, step): the open attempt's final update. */
  readonly stepUpdates: readonly StepUpdate[];
  /** In start order; attempts of one (order, step) are numbered in this order after the existing ones. */
  readonly startedAttempts: readonly StartedAttempt[];
  /** The commands and outcome events, in publishing order. */
  readonly outbox: readonly Event[];
}

/** An open step attempt whose deadline has passed. */
export interface OverdueStep {
  readonly orderId: string;
  readonly step: SagaStep;
}

export interface SagaStore<Tx, Event> {
  /**
   * Locks the sagas of `orderIds` for the rest of the transaction on `tx`, in one deterministic order
   * whatever the order of `orderIds` (two transactions locking overlapping sets wait, never deadlock).
   */
  lockSagas(tx: Tx, orderIds: readonly string[]): Promise<LockedSagas>;
  /**
   * Writes a transaction's changes (the caller holds their sagas' locks); returns, for each order that became
   * final, the seconds from its creation to its settlement.
   */
  writeSagaChanges(tx: Tx, writes: SagaWrites<Event>): Promise<ReadonlyMap<string, number>>;
  /** Up to `limit` open attempts overdue by the database's clock, oldest deadline first. */
  findOverdueSteps(db: Tx, limit: number): Promise<OverdueStep[]>;
}
