/**
 * The port of the REST reservation mode: Inventory's synchronous reservation, as the order saga needs it.
 * The adapter (inventory/inventory-client.ts) owns the transport: timeout, retries with the order id as the
 * idempotency key, the circuit breaker. Whatever it does, Inventory decides an order id once, so asking
 * again (a retry, a replayed request) returns the same decision.
 */
import type { Money } from '@shop/contracts';
import type { LineFailure } from './cancel-reason.ts';
import type { OrderLine } from './order.ts';

export type ReservationAnswer =
  /** Every line is held, at these prices. */
  | {
      readonly outcome: 'RESERVED';
      readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly unitPrice: Money }[];
      readonly total: Money;
    }
  /** Nothing is held; every failing line with its reason. */
  | { readonly outcome: 'FAILED'; readonly failures: readonly LineFailure[] }
  /** The reservation was released already (the saga gave it up): the saga's state says what happened. */
  | { readonly outcome: 'RELEASED' };

export interface ReservationService {
  /** False while the circuit is open: a call would fail at once, so the caller can refuse before writing. */
  available(): boolean;
  /** Throws ORD_INVENTORY_UNAVAILABLE (retryable) when Inventory could not be reached or the circuit is open. */
  reserve(orderId: string, lines: readonly OrderLine[]): Promise<ReservationAnswer>;
}
