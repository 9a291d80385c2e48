/**
 * The order saga as a pure state machine (brief, Part 3: orchestration where compensations must be
 * coordinated). Given the persisted saga (read under a row lock) and one input (a reply, an overdue step,
 * the customer's cancellation, an operator's retry), it decides what changes: the saga's state, which
 * step attempts finish, which start (each start is a command), the order's status and its outcome event.
 * The adapters in `events/` apply a decision, its commands and its outcome in one transaction.
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

import type { Money } from '@shop/contracts';
import type { LineFailure } from './cancel-reason.ts';
import { itemsUnavailableReason } from './cancel-reason.ts';
import type { CancelReason, OrderLine, OrderStatus } from './order.ts';
import { sameLines } from './order-lines.ts';

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

/** The state a new order's saga starts in, and the step started with it (OrderPlaced asks for it). */
export const INITIAL_SAGA = { state: 'RESERVING', step: 'RESERVE_STOCK' } as const satisfies {
  state: SagaState;
  step: SagaStep;
};

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

const CUSTOMER_CANCELLED: CancelReason = {
  code: 'CUSTOMER_CANCELLED',
  message: 'You cancelled this order. Anything you were charged is refunded.',
};

const PROCESSING_TIMEOUT: CancelReason = {
  code: 'PROCESSING_TIMEOUT',
  message: 'We could not complete your order in time. Anything you were charged is refunded.',
};

/** The decline code the Payment Service uses when a charge arrived after its expiry. */
const CHARGE_EXPIRED = 'CHARGE_EXPIRED';

function openStep(saga: SagaSnapshot, step: SagaStep): OpenStep | undefined {
  return saga.openSteps.find((open) => open.step === step);
}

function after(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}

/** Deadline of a step's `attempt`: later for each re-send, so a struggling service is not flooded. */
export function settlementDeadline(now: Date, settings: SagaSettings, attempt: number): Date {
  const factor = Math.min(2 ** Math.max(0, attempt - 1), MAX_BACKOFF_FACTOR);
  return after(now, settings.stepTimeoutMs * factor);
}

/** Deadline of a charge attempt: backed off like the others, but never past the point where the charge is given up. */
function chargeDeadline(now: Date, settings: SagaSettings, expiresAt: Date, attempt: number): Date {
  const giveUpAt = expiresAt.getTime() + CHARGE_EXPIRY_SKEW_MARGIN_MS;
  return new Date(Math.min(settlementDeadline(now, settings, attempt).getTime(), giveUpAt));
}

export interface DecisionContext {
  readonly now: Date;
  readonly settings: SagaSettings;
  /** A new unique id (paymentId, refundId); injected so the machine stays pure and testable. */
  readonly newId: () => string;
}

function change(saga: SagaSnapshot, parts: Partial<Omit<SagaChange, 'kind'>>): SagaChange {
  return {
    kind: 'change',
    state: parts.state ?? saga.state,
    orderStatus: parts.orderStatus ?? saga.orderStatus,
    fields: parts.fields ?? {},
    closes: parts.closes ?? [],
    starts: parts.starts ?? [],
    parks: parts.parks ?? [],
    ...(parts.outcome === undefined ? {} : { outcome: parts.outcome }),
    ...(parts.releaseStray === undefined ? {} : { releaseStray: parts.releaseStray }),
  };
}

/** Starts compensation: the listed steps go out, the order is cancelled once all of them answered. */
function compensate(
  saga: SagaSnapshot,
  context: DecisionContext,
  input: {
    reason: CancelReason;
    steps: readonly ('RELEASE_STOCK' | 'REFUND_PAYMENT')[];
    closes?: SagaChange['closes'];
    fields?: SagaFieldChanges;
  },
): SagaChange {
  const refunding = input.steps.includes('REFUND_PAYMENT');
  return change(saga, {
    state: 'CANCELLING',
    closes: input.closes ?? [],
    fields: {
      ...input.fields,
      pendingCancelReason: input.reason,
      ...(refunding && saga.refundId === undefined ? { refundId: context.newId() } : {}),
    },
    starts: input.steps.map((step) => ({ step, deadlineAt: settlementDeadline(context.now, context.settings, 1) })),
  });
}

/**
 * After a compensation answered: CANCELLED when none is still open (or parked), else unchanged. An order
 * that was already CANCELLED (a stray capture refunded after the fact) is not announced a second time.
 */
function afterCompensationReply(saga: SagaSnapshot, answered: SagaStep, fields: SagaFieldChanges = {}): SagaChange {
  const stillOpen = saga.openSteps.some(
    (open) => open.step !== answered && (open.step === 'RELEASE_STOCK' || open.step === 'REFUND_PAYMENT'),
  );
  const closes = [{ step: answered, status: 'SUCCEEDED' as const }];
  if (stillOpen) return change(saga, { closes, fields });
  const reason = saga.pendingCancelReason ?? PROCESSING_TIMEOUT;
  return change(saga, {
    state: 'CANCELLED',
    orderStatus: 'CANCELLED',
    closes,
    fields: { ...fields, resumeState: null },
    ...(saga.orderStatus === 'CANCELLED' ? {} : { outcome: { type: 'OrderCancelled', reason } }),
  });
}

const CANCELLED_SIDE: readonly SagaState[] = ['CANCELLING', 'CANCELLED', 'COMPENSATION_FAILED'];

function ignore(saga: SagaSnapshot, contradicts: boolean): SagaIgnore {
  return { kind: 'ignore', state: saga.state, contradicts };
}

/** What a reply does. */
export function onReply(saga: SagaSnapshot, reply: SagaReply, context: DecisionContext): SagaDecision {
  switch (reply.type) {
    case 'InventoryReserved': {
      if (openStep(saga, 'RESERVE_STOCK') === undefined) {
        // The saga gave up on the reservation (or was cancelled) and its release may have overtaken the
        // reservation itself (they travel on different topics): release again. Releasing is idempotent.
        if (CANCELLED_SIDE.includes(saga.state)) return change(saga, { releaseStray: true });
        return ignore(saga, false);
      }
      // Reservations are all or nothing and quote every ordered line; anything else is for another order
      // (or a different version of it) and charging for it would bill what the customer did not order.
      if (!sameLines(saga.lines, reply.lines)) {
        return {
          kind: 'reject',
          code: 'ORD_RESERVATION_MISMATCH',
          message: 'InventoryReserved does not reserve exactly the ordered lines',
        };
      }
      const closes = [{ step: 'RESERVE_STOCK' as const, status: 'SUCCEEDED' as const }];
      if (saga.cancelRequested) {
        return compensate(saga, context, {
          reason: CUSTOMER_CANCELLED,
          steps: ['RELEASE_STOCK'],
          closes,
          fields: { total: reply.total },
        });
      }
      const expiresAt = after(context.now, context.settings.chargeExpiryMs);
      return change(saga, {
        state: 'CHARGING',
        closes,
        fields: { total: reply.total, paymentId: context.newId(), chargeExpiresAt: expiresAt },
        starts: [{ step: 'CHARGE_PAYMENT', deadlineAt: chargeDeadline(context.now, context.settings, expiresAt, 1) }],
      });
    }
    case 'InventoryFailed': {
      if (openStep(saga, 'RESERVE_STOCK') === undefined) {
        return ignore(saga, saga.state === 'CHARGING' || saga.state === 'CONFIRMED');
      }
      const reason = saga.cancelRequested ? CUSTOMER_CANCELLED : itemsUnavailableReason(reply.failures);
      return change(saga, {
        state: 'CANCELLED',
        orderStatus: 'CANCELLED',
        closes: [{ step: 'RESERVE_STOCK', status: 'FAILED' }],
        fields: { pendingCancelReason: reason },
        outcome: { type: 'OrderCancelled', reason },
      });
    }
    case 'PaymentCaptured': {
      if (saga.paymentId !== reply.paymentId) return paymentMismatch(reply.type);
      if (openStep(saga, 'CHARGE_PAYMENT') === undefined) {
        // Captured after the saga gave up on the charge. The refund sent then covers it (same partition,
        // after the charge expired); only a saga that never started one must start it now.
        if (CANCELLED_SIDE.includes(saga.state) && saga.refundId === undefined) {
          return compensate(saga, context, {
            reason: saga.pendingCancelReason ?? PROCESSING_TIMEOUT,
            steps: ['REFUND_PAYMENT'],
            fields: { captured: reply.amount },
          });
        }
        return ignore(saga, CANCELLED_SIDE.includes(saga.state));
      }
      const closes = [{ step: 'CHARGE_PAYMENT' as const, status: 'SUCCEEDED' as const }];
      if (saga.cancelRequested) {
        return compensate(saga, context, {
          reason: CUSTOMER_CANCELLED,
          steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
          closes,
          fields: { captured: reply.amount },
        });
      }
      return change(saga, {
        state: 'CONFIRMED',
        orderStatus: 'CONFIRMED',
        closes,
        fields: { captured: reply.amount },
        starts: [{ step: 'COMMIT_STOCK', deadlineAt: settlementDeadline(context.now, context.settings, 1) }],
        outcome: { type: 'OrderConfirmed' },
      });
    }
    case 'PaymentDeclined': {
      if (saga.paymentId !== reply.paymentId) return paymentMismatch(reply.type);
      if (openStep(saga, 'CHARGE_PAYMENT') === undefined) return ignore(saga, saga.state === 'CONFIRMED');
      const reason: CancelReason = saga.cancelRequested
        ? CUSTOMER_CANCELLED
        : reply.reason.code === CHARGE_EXPIRED
          ? PROCESSING_TIMEOUT
          : { code: 'PAYMENT_DECLINED', message: reply.reason.message };
      return compensate(saga, context, {
        reason,
        steps: ['RELEASE_STOCK'],
        closes: [{ step: 'CHARGE_PAYMENT', status: 'FAILED' }],
      });
    }
    case 'ReservationCommitted':
      if (openStep(saga, 'COMMIT_STOCK') === undefined) return ignore(saga, false);
      return change(saga, {
        // A commit parked in COMPENSATION_FAILED that finally answered: the saga is whole again.
        ...(saga.state === 'COMPENSATION_FAILED'
          ? { state: saga.resumeState ?? 'CONFIRMED', fields: { resumeState: null } }
          : {}),
        closes: [{ step: 'COMMIT_STOCK', status: 'SUCCEEDED' }],
      });
    case 'ReservationReleased':
      if (openStep(saga, 'RELEASE_STOCK') === undefined) return ignore(saga, false);
      return afterCompensationReply(saga, 'RELEASE_STOCK');
    case 'PaymentRefunded':
      if (saga.refundId !== reply.refundId) {
        return {
          kind: 'reject',
          code: 'ORD_PAYMENT_MISMATCH',
          message: 'PaymentRefunded names a refund this saga did not ask for',
        };
      }
      if (openStep(saga, 'REFUND_PAYMENT') === undefined) return ignore(saga, false);
      return afterCompensationReply(saga, 'REFUND_PAYMENT', { refunded: reply.amount });
  }
}

function paymentMismatch(type: string): SagaReject {
  return { kind: 'reject', code: 'ORD_PAYMENT_MISMATCH', message: `${type} names a payment this saga did not make` };
}

/** A step given up: the customer's own cancellation, when they asked for one meanwhile, else a timeout. */
function timeoutReason(saga: SagaSnapshot): CancelReason {
  return saga.cancelRequested ? CUSTOMER_CANCELLED : PROCESSING_TIMEOUT;
}

/** What an overdue step does: re-send it, give it up (compensate), or park the saga for an operator. */
export function onStepDeadline(saga: SagaSnapshot, step: SagaStep, context: DecisionContext): SagaDecision {
  const open = openStep(saga, step);
  if (open?.deadlineAt === undefined || open.deadlineAt.getTime() > context.now.getTime()) return ignore(saga, false);
  const { now, settings } = context;
  switch (step) {
    case 'RESERVE_STOCK':
      // OrderPlaced is an event Inventory reacts to on its own (choreography); there is no command to
      // re-send. Give up: release whatever may get reserved, and cancel.
      return compensate(saga, context, {
        reason: timeoutReason(saga),
        steps: ['RELEASE_STOCK'],
        closes: [{ step, status: 'TIMED_OUT' }],
      });
    case 'CHARGE_PAYMENT': {
      const expiresAt = saga.chargeExpiresAt ?? now;
      if (now.getTime() < expiresAt.getTime() + CHARGE_EXPIRY_SKEW_MARGIN_MS) {
        return change(saga, {
          closes: [{ step, status: 'TIMED_OUT' }],
          starts: [{ step, deadlineAt: chargeDeadline(now, settings, expiresAt, open.attempt + 1) }],
        });
      }
      // Past the expiry nothing more is captured; a capture made before is refunded (the Payment Service
      // refunds at most what it captured, zero when nothing was).
      return compensate(saga, context, {
        reason: timeoutReason(saga),
        steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
        closes: [{ step, status: 'ABANDONED' }],
      });
    }
    case 'COMMIT_STOCK':
    case 'RELEASE_STOCK':
    case 'REFUND_PAYMENT': {
      const allowed = settings.maxSettlementAttempts * (1 + saga.operatorRetries);
      if (open.attempt < allowed) {
        return change(saga, {
          closes: [{ step, status: 'TIMED_OUT' }],
          starts: [{ step, deadlineAt: settlementDeadline(now, settings, open.attempt + 1) }],
        });
      }
      return change(saga, {
        state: 'COMPENSATION_FAILED',
        parks: [step],
        ...(saga.state === 'COMPENSATION_FAILED' ? {} : { fields: { resumeState: saga.state } }),
      });
    }
  }
}

/** The customer's `POST /orders/{id}/cancel`. */
export function onCancelRequest(saga: SagaSnapshot, context: DecisionContext): SagaDecision {
  switch (saga.state) {
    case 'RESERVING':
    case 'CHARGING':
      // A reply is on its way; deciding now would race it (a release could overtake the reservation, a
      // refund the capture). The next reply applies the cancellation.
      if (saga.cancelRequested) return ignore(saga, false);
      return change(saga, { fields: { cancelRequested: true } });
    case 'CONFIRMED': {
      const commit = openStep(saga, 'COMMIT_STOCK');
      // Inventory ignores a commit that arrives after the release (the reservation only moves forward),
      // so an unanswered commit is abandoned rather than waited for.
      return compensate(saga, context, {
        reason: CUSTOMER_CANCELLED,
        steps: ['REFUND_PAYMENT', 'RELEASE_STOCK'],
        closes: commit === undefined ? [] : [{ step: 'COMMIT_STOCK', status: 'ABANDONED' }],
        fields: { cancelRequested: true },
      });
    }
    case 'CANCELLING':
    case 'CANCELLED':
      return ignore(saga, false);
    case 'COMPENSATION_FAILED':
      if (saga.resumeState === 'CANCELLING') return ignore(saga, false);
      return {
        kind: 'reject',
        code: 'ORD_SAGA_NEEDS_OPERATOR',
        message: 'The order is waiting for an operator; it cannot be cancelled until its saga is retried',
      };
  }
}

/** An operator's retry of a COMPENSATION_FAILED saga: every parked step is sent again, with a fresh budget. */
export function onOperatorRetry(saga: SagaSnapshot, context: DecisionContext): SagaDecision {
  if (saga.state !== 'COMPENSATION_FAILED') {
    return {
      kind: 'reject',
      code: 'ORD_SAGA_NOT_FAILED',
      message: `The saga is ${saga.state}, not COMPENSATION_FAILED`,
    };
  }
  const parked = saga.openSteps.filter((open) => open.deadlineAt === undefined);
  return change(saga, {
    state: saga.resumeState ?? 'CANCELLING',
    fields: { resumeState: null, operatorRetries: saga.operatorRetries + 1 },
    closes: parked.map((open) => ({ step: open.step, status: 'TIMED_OUT' as const })),
    starts: parked.map((open) => ({
      step: open.step,
      deadlineAt: settlementDeadline(context.now, context.settings, 1),
    })),
  });
}

/**
 * The saga after `change` (open steps included): what a change's commands and outcome are built from, and
 * what the next input is decided on.
 */
export function sagaAfter<T extends SagaSnapshot>(saga: T, change: SagaChange): T {
  const { fields } = change;
  const { resumeState: _previous, ...rest } = saga;
  const resumeState = fields.resumeState === undefined ? saga.resumeState : (fields.resumeState ?? undefined);
  const closed = new Set(change.closes.map((close) => close.step));
  const parked = new Set(change.parks);
  const openSteps: OpenStep[] = [
    ...saga.openSteps
      .filter((open) => !closed.has(open.step))
      .map((open) => (parked.has(open.step) ? { step: open.step, attempt: open.attempt } : open)),
    ...change.starts.map((start) => {
      const previous = saga.openSteps.find((open) => open.step === start.step)?.attempt ?? 0;
      return { step: start.step, attempt: previous + 1, deadlineAt: start.deadlineAt };
    }),
  ];
  return {
    ...rest,
    state: change.state,
    orderStatus: change.orderStatus,
    ...(fields.total === undefined ? {} : { total: fields.total }),
    ...(fields.paymentId === undefined ? {} : { paymentId: fields.paymentId }),
    ...(fields.chargeExpiresAt === undefined ? {} : { chargeExpiresAt: fields.chargeExpiresAt }),
    ...(fields.captured === undefined ? {} : { captured: fields.captured }),
    ...(fields.refundId === undefined ? {} : { refundId: fields.refundId }),
    ...(fields.refunded === undefined ? {} : { refunded: fields.refunded }),
    ...(fields.cancelRequested === undefined ? {} : { cancelRequested: true }),
    ...(fields.pendingCancelReason === undefined ? {} : { pendingCancelReason: fields.pendingCancelReason }),
    ...(resumeState === undefined ? {} : { resumeState }),
    ...(fields.operatorRetries === undefined ? {} : { operatorRetries: fields.operatorRetries }),
    openSteps,
    // Every SagaSnapshot field is set above; T's extra fields (e.g. the contact) are carried in `rest`.
  } as unknown as T;
}
