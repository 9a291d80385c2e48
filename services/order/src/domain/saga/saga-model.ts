import type { Money } from '@shop/contracts';
/**
 * The order saga's model (orchestration, because compensations must be coordinated: docs/design/saga.md): its states,
 * steps and step statuses, what it knows (`SagaSnapshot`, read under the order's row lock), the inputs it
 * decides on, and the decisions it returns. The decisions themselves are one file each (`on-reply.ts`,
 * `on-step-deadline.ts`, `on-cancel-request.ts`, `on-operator-retry.ts`, `start-saga.ts`); the application
 * layer applies a decision, its commands and its outcome in one transaction.
 *
 *   RESERVING ──InventoryReserved──▶ CHARGING ──PaymentCaptured──▶ CONFIRMED (order CONFIRMED, CommitReservation)
 *       │                                │                              │
 *       │ InventoryFailed                │ PaymentDeclined, or the      │ customer cancels
 *       ▼                                ▼ charge expired unanswered    ▼
 *   CANCELLED ◀── every compensation ── CANCELLING ◀──────────────────────  (RefundPayment + ReleaseReservation)
 *       (OrderCancelled)   answered       │
 *                                         └─ a compensation unanswered after its attempts ─▶ COMPENSATION_FAILED
 *                                            (an operator's retry puts it back; a late reply still completes it)
 *
 * Invariants:
 * - A reply acts only on the step attempt that is open for it; a duplicate or late reply changes nothing
 *   (except a reservation that arrives after the saga gave up on it: that stock is released again).
 * - One paymentId per order (the provider's idempotency key, the same on every re-send), so a charge is
 *   captured at most once; one refundId per order, so it is refunded at most once, and the Payment Service
 *   never refunds more than it captured.
 * - The charge is given up only after its `expiresAt` (plus a clock-skew margin): from then on the Payment
 *   Service captures nothing new, and the refund it is sent covers any capture made before.
 * - The order is CANCELLED only when every compensation has answered: CANCELLED means the stock is back and
 *   the money refunded, and OrderCancelled can say how much.
 */
import type { LineFailure } from '../cancel-reason.ts';
import type { CancelReason, OrderLine, OrderStatus } from '../order.ts';
import type { SagaSettings } from './saga-timing.ts';

export const SAGA_STATES = [
  'RESERVING',
  'CHARGING',
  'CONFIRMED',
  'CANCELLING',
  'CANCELLED',
  'COMPENSATION_FAILED',
] as const;
export type SagaState = (typeof SAGA_STATES)[number];

export const SAGA_STEPS = [
  'RESERVE_STOCK',
  'CHARGE_PAYMENT',
  'COMMIT_STOCK',
  'RELEASE_STOCK',
  'REFUND_PAYMENT',
] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

/** TIMED_OUT: no reply before the deadline, a new attempt follows. ABANDONED: no longer wanted. */
export const STEP_STATUSES = ['STARTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABANDONED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** States on the way to (or at) CANCELLED: a late reply there may still need a compensation. */
export const CANCELLED_SIDE: readonly SagaState[] = ['CANCELLING', 'CANCELLED', 'COMPENSATION_FAILED'];

/** A step attempt in progress. `deadlineAt` is absent while parked (COMPENSATION_FAILED). */
export interface OpenStep {
  readonly step: SagaStep;
  readonly attempt: number;
  readonly deadlineAt?: Date;
}

/** What the saga knows, read under the order's row lock. */
export interface SagaSnapshot {
  readonly orderId: string;
  readonly customerId: string;
  readonly state: SagaState;
  readonly orderStatus: OrderStatus;
  readonly lines: readonly OrderLine[];
  readonly total?: Money;
  /** The charge's idempotency key, fixed when the charge starts. */
  readonly paymentId?: string;
  readonly chargeExpiresAt?: Date;
  readonly captured?: Money;
  /** The refund's idempotency key, fixed when the refund starts. */
  readonly refundId?: string;
  readonly refunded?: Money;
  /** The customer asked to cancel while the order was PENDING; applied at the next reply. */
  readonly cancelRequested: boolean;
  /** Why the order is being cancelled, decided when compensation started. */
  readonly pendingCancelReason?: CancelReason;
  /** The state to go back to when an operator retries a COMPENSATION_FAILED saga. */
  readonly resumeState?: SagaState;
  /** Operator retries so far: each grants the parked steps another `maxSettlementAttempts`. */
  readonly operatorRetries: number;
  readonly openSteps: readonly OpenStep[];
}

/** A reply on the saga's topics, reduced to what decides. */
export type SagaReply =
  | {
      readonly type: 'InventoryReserved';
      readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly unitPrice: Money }[];
      readonly total: Money;
    }
  | { readonly type: 'InventoryFailed'; readonly failures: readonly LineFailure[] }
  | { readonly type: 'PaymentCaptured'; readonly paymentId: string; readonly amount: Money }
  | {
      readonly type: 'PaymentDeclined';
      readonly paymentId: string;
      readonly reason: { readonly code: string; readonly message: string };
    }
  | { readonly type: 'PaymentRefunded'; readonly refundId: string; readonly amount: Money }
  | { readonly type: 'ReservationCommitted' }
  | { readonly type: 'ReservationReleased' };

/** Saga fields a decision sets (absent: unchanged). */
export type SagaFieldChanges = Partial<
  Pick<
    SagaSnapshot,
    | 'total'
    | 'paymentId'
    | 'chargeExpiresAt'
    | 'captured'
    | 'refundId'
    | 'refunded'
    | 'pendingCancelReason'
    | 'operatorRetries'
  >
> & {
  /** A cancellation request is never withdrawn. */
  readonly cancelRequested?: true;
  /** `null` clears it. */
  readonly resumeState?: SagaState | null;
};

/** A step attempt to start, with the deadline of its reply. Its command is built from the saga after the change. */
export interface StepStart {
  readonly step: SagaStep;
  readonly deadlineAt: Date;
}

/** A change to apply. Every list may be empty. */
export interface SagaChange {
  readonly kind: 'change';
  readonly state: SagaState;
  readonly orderStatus: OrderStatus;
  readonly fields: SagaFieldChanges;
  /** Open attempts closed by this input, with their final status. */
  readonly closes: readonly { readonly step: SagaStep; readonly status: Exclude<StepStatus, 'STARTED'> }[];
  /** Attempts to start (their commands go out with the change). */
  readonly starts: readonly StepStart[];
  /** Open attempts left open without a deadline (parked in COMPENSATION_FAILED). */
  readonly parks: readonly SagaStep[];
  /** Set when the order reaches CONFIRMED or CANCELLED: the outcome event to publish. */
  readonly outcome?:
    | { readonly type: 'OrderConfirmed' }
    | { readonly type: 'OrderCancelled'; readonly reason: CancelReason };
  /** Stock reserved after the saga gave up on it: released again without a step (the saga is over). */
  readonly releaseStray?: true;
}

/** An input that changes nothing (duplicate, late reply, repeated request). */
export interface SagaIgnore {
  readonly kind: 'ignore';
  readonly state: SagaState;
  /** True when the reply disagrees with what the saga decided: a broken contract upstream, worth a warning. */
  readonly contradicts: boolean;
}

/** An input that can never be applied: dead-letter it (a reply) or refuse it (a request), visibly. */
export interface SagaReject {
  readonly kind: 'reject';
  readonly code:
    | 'ORD_RESERVATION_MISMATCH'
    | 'ORD_PAYMENT_MISMATCH'
    | 'ORD_SAGA_NOT_FAILED'
    | 'ORD_SAGA_NEEDS_OPERATOR';
  readonly message: string;
}

export type SagaDecision = SagaChange | SagaIgnore | SagaReject;

/** What a decision may use beside the saga. */
export interface DecisionContext {
  /**
   * The time the decision is made at, on the clock every deadline is written and compared on (the
   * database's: see saga-timing.ts).
   */
  readonly now: Date;
  readonly settings: SagaSettings;
  /** A new unique id (paymentId, refundId); injected so the machine stays pure and testable. */
  readonly newId: () => string;
}
