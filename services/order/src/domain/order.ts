/**
 * The order as the Order Service sees it: what the customer asked for, how to reach them, and where the
 * order stands. Pure types and constants; no I/O.
 */

/** What a customer sees. PENDING until the saga settles the order; CONFIRMED and CANCELLED are final. */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type FinalOrderStatus = Exclude<OrderStatus, 'PENDING'>;

/** One order line; an order has at most one line per SKU (the OrderPlaced contract requires distinct SKUs). */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** How to reach the customer. Personal data: stored here, sent only in the outcome events. */
export interface Contact {
  readonly email: string;
  /** E.164, e.g. `+441632960961`. */
  readonly phone?: string;
}

/** Why an order was cancelled: a contract reason code and a text safe to show the customer. */
export interface CancelReason {
  readonly code: 'ITEMS_UNAVAILABLE' | 'PAYMENT_DECLINED' | 'CUSTOMER_CANCELLED' | 'PROCESSING_TIMEOUT';
  readonly message: string;
}

/** Seconds a client is asked to wait before asking again about a PENDING order (`Retry-After`). */
export const PENDING_RETRY_AFTER_SECONDS = 1;

/** What the customer reads while the order is PENDING (docs/design/eventual-consistency.md): accepted, not yet confirmed. */
export const PENDING_MESSAGE =
  'We have received your order and are confirming that every item is available. ' +
  'This usually takes a moment; you will also receive an e-mail with the outcome.';
