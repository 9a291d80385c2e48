/**
 * The saga's timing: its settings, and the deadlines of step attempts.
 *
 * One clock: every deadline is computed from, written on and compared with the database's clock. Decisions
 * made under the saga's lock get `now` from the database (read right after the lock is held); the placement
 * statement computes the reservation's deadline with its own `now()`; the deadline scanner finds overdue
 * attempts with `now()`. The step times the API shows (started, finished) are the database's too, so a
 * deadline is always comparable with them. The application's clock, which may differ between instances of
 * the service and from the database's, never decides when a step is due.
 */

/**
 * How long after a charge's expiry the saga waits before giving it up: the Payment Service's clock may lag
 * ours by this much, and it must have stopped capturing before the refund is sent.
 */
export const CHARGE_EXPIRY_SKEW_MARGIN_MS = 5_000;

/**
 * Re-sent steps wait longer each time (step timeout × 2^(attempt-1)), up to this factor: a service that is
 * behind (consumer lag) is not flooded with copies of commands it has not reached yet.
 */
export const MAX_BACKOFF_FACTOR = 8;

/** Saga timing and limits (validated configuration of the Order Service). */
export interface SagaSettings {
  /** How long a reply to ChargePayment, CommitReservation, ReleaseReservation or RefundPayment may take. */
  readonly stepTimeoutMs: number;
  /** How long Inventory may take to answer OrderPlaced before the order is cancelled. */
  readonly reservationTimeoutMs: number;
  /** From the start of the charge to its expiry: re-sent until then, given up after. */
  readonly chargeExpiryMs: number;
  /** Attempts of a settlement step (per operator retry) before the saga is parked in COMPENSATION_FAILED. */
  readonly maxSettlementAttempts: number;
}

export const DEFAULT_SAGA_SETTINGS: SagaSettings = {
  stepTimeoutMs: 10_000,
  reservationTimeoutMs: 300_000,
  chargeExpiryMs: 120_000,
  maxSettlementAttempts: 8,
};

export function after(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}

/** Deadline of a step's `attempt`: later for each re-send, so a struggling service is not flooded. */
export function settlementDeadline(now: Date, settings: SagaSettings, attempt: number): Date {
  const factor = Math.min(2 ** Math.max(0, attempt - 1), MAX_BACKOFF_FACTOR);
  return after(now, settings.stepTimeoutMs * factor);
}

/** When an unanswered charge is given up: its expiry plus the margin for the Payment Service's clock. */
export function chargeGiveUpAt(expiresAt: Date): Date {
  return after(expiresAt, CHARGE_EXPIRY_SKEW_MARGIN_MS);
}

/** Deadline of a charge attempt: backed off like the others, but never past the point where the charge is given up. */
export function chargeDeadline(now: Date, settings: SagaSettings, expiresAt: Date, attempt: number): Date {
  return new Date(Math.min(settlementDeadline(now, settings, attempt).getTime(), chargeGiveUpAt(expiresAt).getTime()));
}
