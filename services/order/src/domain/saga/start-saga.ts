/**
 * Placing an order starts its saga: the order's saga state, its first step (the reservation, which
 * OrderPlaced asks Inventory for: there is no command) with its deadline, and what OrderPlaced says.
 * The placement statement writes exactly this, with the order, in one transaction.
 */
import type { OrderLine } from '../order.ts';
import type { PlaceOrderCommand } from '../place-order-command.ts';
import type { SagaState, SagaStep } from './saga-model.ts';
import type { SagaSettings } from './saga-timing.ts';

export interface SagaStart {
  readonly state: SagaState;
  /** Started with the order, as attempt 1; OrderPlaced is its request. */
  readonly step: SagaStep;
  /**
   * The first step's deadline, counted from the placement statement's `now()`: the database's clock, the one
   * every deadline is compared on (saga-timing.ts). A duration, because the placement statement is the first
   * moment the database's clock is read, and reading it earlier would cost the hot path a round trip.
   */
  readonly deadlineAfterMs: number;
  /**
   * OrderPlaced's payload: the lines only. It goes to Inventory, which never sees who ordered (personal data
   * stays in this service until an outcome event needs the contact).
   */
  readonly orderPlaced: { readonly orderId: string; readonly lines: readonly OrderLine[] };
}

export function startSaga(
  orderId: string,
  command: PlaceOrderCommand,
  settings: Pick<SagaSettings, 'reservationTimeoutMs'>,
): SagaStart {
  return {
    state: 'RESERVING',
    step: 'RESERVE_STOCK',
    deadlineAfterMs: settings.reservationTimeoutMs,
    orderPlaced: { orderId, lines: command.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })) },
  };
}
