/**
 * The order saga as a pure state machine: given the persisted saga state and a reply, what changes.
 * The handler in `events/` loads the state (row-locked), asks here, and applies the transition, its
 * outcome event and the status notification in one transaction.
 *
 * Today the saga has one step: reserve stock (started when the order is placed, answered by Inventory).
 *
 *   RESERVING ──InventoryReserved──▶ CONFIRMED   (order CONFIRMED, OrderConfirmed)
 *   RESERVING ──InventoryFailed────▶ CANCELLED   (order CANCELLED, OrderCancelled ITEMS_UNAVAILABLE)
 *
 * Issue 6 inserts payment between reservation and confirmation without changing this shape: a transition
 * may then also start a step (CHARGE_PAYMENT with a deadline) and emit commands, and InventoryReserved in
 * RESERVING leads to CHARGING instead of CONFIRMED. The states, steps and statuses are closed lists that
 * the migration's CHECK constraints mirror.
 *
 * Invariant: a reply is acted on only when it answers the step the saga is in. Anything else (a
 * duplicate, or a late reply after the saga moved on) is ignored and changes nothing.
 */
import type { LineFailure } from './cancel-reason.ts';
import { itemsUnavailableReason } from './cancel-reason.ts';
import type { CancelReason, Money, OrderLine, OrderStatus } from './order.ts';
import { sameLines } from './order-lines.ts';

export const SAGA_STATES = ['RESERVING', 'CONFIRMED', 'CANCELLED'] as const;
export type SagaState = (typeof SAGA_STATES)[number];

export const SAGA_STEPS = ['RESERVE_STOCK'] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

export const STEP_STATUSES = ['STARTED', 'SUCCEEDED', 'FAILED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** The state a new order's saga starts in, and the step started with it (OrderPlaced asks for it). */
export const INITIAL_SAGA = { state: 'RESERVING', step: 'RESERVE_STOCK' } as const satisfies {
  state: SagaState;
  step: SagaStep;
};

/** The customer-facing status of an order whose saga is in `state`. */
export function orderStatusOf(state: SagaState): OrderStatus {
  switch (state) {
    case 'RESERVING':
      return 'PENDING';
    case 'CONFIRMED':
      return 'CONFIRMED';
    case 'CANCELLED':
      return 'CANCELLED';
  }
}

/** What the saga knows when a reply arrives. */
export interface SagaSnapshot {
  readonly state: SagaState;
  /** The order's lines, to check that a reservation is for this order as placed. */
  readonly lines: readonly OrderLine[];
}

/** Inventory's answer to the reservation step (the payloads of InventoryReserved / InventoryFailed). */
export type ReservationReply =
  | {
      readonly type: 'InventoryReserved';
      readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly unitPrice: Money }[];
      readonly total: Money;
    }
  | { readonly type: 'InventoryFailed'; readonly failures: readonly LineFailure[] };

/** A state change to apply. */
export interface SagaTransition {
  readonly kind: 'transition';
  readonly from: SagaState;
  readonly to: SagaState;
  /** The order's status after the transition; a final status settles the order and emits its outcome. */
  readonly orderStatus: OrderStatus;
  /** The step this reply finishes. */
  readonly finishes: { readonly step: SagaStep; readonly status: Exclude<StepStatus, 'STARTED'> };
  /** The amount quoted by the reservation, once known. */
  readonly total?: Money;
  /** Set when the order is cancelled. */
  readonly cancelReason?: CancelReason;
}

/** A reply that answers no step in progress: acknowledged (so it is not redelivered) and otherwise ignored. */
export interface SagaIgnore {
  readonly kind: 'ignore';
  readonly state: SagaState;
  /**
   * True when the reply disagrees with what the saga decided (InventoryReserved for a cancelled order):
   * a broken contract upstream, worth a warning; false for a plain duplicate.
   */
  readonly contradicts: boolean;
}

/** A reply that can never be applied (it describes a different order): dead-letter it, visibly. */
export interface SagaReject {
  readonly kind: 'reject';
  readonly code: 'ORD_RESERVATION_MISMATCH';
  readonly message: string;
}

export type SagaDecision = SagaTransition | SagaIgnore | SagaReject;

export function onReservationReply(saga: SagaSnapshot, reply: ReservationReply): SagaDecision {
  if (saga.state !== 'RESERVING') {
    const agrees = reply.type === 'InventoryReserved' ? saga.state === 'CONFIRMED' : saga.state === 'CANCELLED';
    return { kind: 'ignore', state: saga.state, contradicts: !agrees };
  }
  if (reply.type === 'InventoryFailed') {
    return {
      kind: 'transition',
      from: saga.state,
      to: 'CANCELLED',
      orderStatus: 'CANCELLED',
      finishes: { step: 'RESERVE_STOCK', status: 'FAILED' },
      cancelReason: itemsUnavailableReason(reply.failures),
    };
  }
  // Reservations are all or nothing and quote every ordered line; anything else is for another order
  // (or a different version of it) and confirming it would charge for what the customer did not order.
  if (!sameLines(saga.lines, reply.lines)) {
    return {
      kind: 'reject',
      code: 'ORD_RESERVATION_MISMATCH',
      message: 'InventoryReserved does not reserve exactly the ordered lines',
    };
  }
  return {
    kind: 'transition',
    from: saga.state,
    to: 'CONFIRMED',
    orderStatus: 'CONFIRMED',
    finishes: { step: 'RESERVE_STOCK', status: 'SUCCEEDED' },
    total: reply.total,
  };
}
