/**
 * The closed set of Inventory Service error codes. Each has a fixed HTTP status (where it reaches
 * HTTP) and retry flag; the consumer runner dead-letters a non-retryable error at once, and clients
 * branch on the code, never on the message. Every code is documented in services/inventory/README.md
 * (a test fails when one is missing).
 */
import { type ErrorFactory, errorFactory } from '@shop/platform';

export const InventoryErrors = {
  /** HTTP: no product with that SKU. */
  INV_SKU_NOT_FOUND: { httpStatus: 404, retryable: false },
  /** HTTP: no reservation for that order id. */
  INV_RESERVATION_NOT_FOUND: { httpStatus: 404, retryable: false },
  /** HTTP: a product is created without `unitPrice` (a product is never sold without a price). */
  INV_PRICE_REQUIRED: { httpStatus: 422, retryable: false },
  /** HTTP, and the demo seed at boot: the price's currency differs from the catalog's single currency. */
  INV_CURRENCY_MISMATCH: { httpStatus: 409, retryable: false },
  /** Consumer (dead letter): the order's products are priced in several currencies, so it has no total. */
  INV_MIXED_CURRENCIES: { httpStatus: 500, retryable: false },
  /** Consumer (dead letter): the order's total exceeds the largest exact amount. */
  INV_TOTAL_OUT_OF_RANGE: { httpStatus: 500, retryable: false },
  /** Consumer (dead letter): an OrderPlaced that the contract should have refused (no lines, repeated SKU). */
  INV_ORDER_INVALID: { httpStatus: 500, retryable: false },
  /** Consumer (dead letter): CommitReservation for an order that has no reservation, or whose reservation failed. */
  INV_NOTHING_TO_COMMIT: { httpStatus: 500, retryable: false },
  /**
   * Consumer (never reaches a topic when the rerun succeeds): a concurrent transaction recorded a reservation
   * for the order after this batch read its reservations; the record is run again on its own, where it sees it.
   */
  INV_CONCURRENT_DECISION: { httpStatus: 500, retryable: true },
  /** Consumer (dead letter): an event type this consumer does not handle reached it. */
  INV_UNEXPECTED_EVENT: { httpStatus: 500, retryable: false },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean }>;

export type InventoryErrorCode = keyof typeof InventoryErrors;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const inventoryError: ErrorFactory<InventoryErrorCode> = errorFactory(InventoryErrors);
