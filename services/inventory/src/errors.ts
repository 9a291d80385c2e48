/**
 * The closed set of Inventory Service error codes. Each has a fixed HTTP status (where it reaches
 * HTTP) and retry flag; the consumer runner dead-letters a non-retryable error at once, and clients
 * branch on the code, never on the message. Listed in docs/errors.md (generated; a test fails when it
 * drifts). Consumer-only codes keep the 500 an AppError carries; they never reach HTTP.
 */
import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

export const INVENTORY_ERRORS = {
  INV_SKU_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: '`GET /inventory/{sku}` for an unknown SKU.',
  },
  INV_RESERVATION_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: '`GET /reservations/{orderId}` for an order with no reservation.',
  },
  INV_RESERVATION_CONFLICT: {
    httpStatus: 409,
    retryable: false,
    description:
      '`PUT /reservations/{orderId}` naming other lines than the ones this order was reserved with (the order id is the idempotency key).',
  },
  INV_RESERVATION_REFUSED: {
    httpStatus: 422,
    retryable: false,
    description:
      '`PUT /reservations/{orderId}` for an order that cannot be decided (a repeated SKU, products priced in several currencies, or a total above 2^53 − 1 minor units); nothing is recorded.',
  },
  INV_PRICE_REQUIRED: {
    httpStatus: 422,
    retryable: false,
    description: '`PUT /inventory/{sku}` of a new SKU without `unitPrice` (a product is never sold without a price).',
  },
  INV_CURRENCY_MISMATCH: {
    httpStatus: 409,
    retryable: false,
    description: "A price in another currency than the catalog's single currency (PUT, or the demo seed at boot).",
  },
  INV_MIXED_CURRENCIES: {
    httpStatus: 500,
    retryable: false,
    description:
      "Consumer: the order's products are priced in several currencies, so it has no total; dead-lettered (reachable only through a direct database write).",
  },
  INV_TOTAL_OUT_OF_RANGE: {
    httpStatus: 500,
    retryable: false,
    description: "Consumer: the order's total is above 2^53 − 1 minor units; dead-lettered.",
  },
  INV_ORDER_INVALID: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: an OrderPlaced the contract should have refused (no lines, repeated SKU); dead-lettered.',
  },
  INV_NOTHING_TO_COMMIT: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: CommitReservation for an order never reserved or whose reservation failed; dead-lettered.',
  },
  INV_CONCURRENT_DECISION: {
    httpStatus: 500,
    retryable: true,
    description:
      'Consumer: another transaction recorded a reservation for the order while this batch decided it; the record is run again alone and sees it (a retry tier only if that fails too).',
  },
  INV_UNEXPECTED_EVENT: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: an event type this consumer does not handle reached it; dead-lettered.',
  },
} as const satisfies Record<`INV_${string}`, ErrorSpec>;

export type InventoryErrorCode = keyof typeof INVENTORY_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const inventoryError: ErrorFactory<InventoryErrorCode> = errorFactory(INVENTORY_ERRORS);
