/**
 * The closed set of Order Service error codes. Each has a fixed HTTP status (where it reaches HTTP) and
 * retry flag; the consumer runner dead-letters non-retryable ones. Listed in docs/errors.md (generated;
 * a test fails when it drifts). Schema violations of requests are the platform's `HTTP_VALIDATION_FAILED`;
 * oversized bodies are Fastify's `FST_ERR_CTP_BODY_TOO_LARGE` (413).
 */
import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

export const ORDER_ERRORS = {
  ORD_NOT_FOUND: { httpStatus: 404, retryable: false, description: 'No order with this id.' },
  ORD_IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 422,
    retryable: false,
    description: 'The customer already used this `Idempotency-Key` for a different request.',
  },
  ORD_LINE_QUANTITY_TOO_LARGE: {
    httpStatus: 400,
    retryable: false,
    description: 'Lines naming the same SKU add up to more than the per-line maximum (10,000).',
  },
  ORD_INVALID_PHONE: {
    httpStatus: 400,
    retryable: false,
    description: 'The phone is not an international number (E.164 after removing separators).',
  },
  ORD_INVALID_CONTACT: {
    httpStatus: 400,
    retryable: false,
    description:
      "The contact passes the HTTP schema but not the contract's validator (an e-mail it could never be notified at).",
  },
  ORD_WAIT_TOO_LONG: { httpStatus: 400, retryable: false, description: '`?wait=` is longer than 30 seconds.' },
  ORD_PAGE_LIMIT_OUT_OF_RANGE: { httpStatus: 400, retryable: false, description: '`?limit=` is outside 1–100.' },
  ORD_UNKNOWN_CURSOR: { httpStatus: 400, retryable: false, description: '`?before=` names no order of this customer.' },
  ORD_UNEXPECTED_EVENT: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: an event the saga cannot act on (a type not on its topics, or no order id); dead-lettered.',
  },
  ORD_UNKNOWN_ORDER: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: a payment or commit reply for an order this service does not have; dead-lettered.',
  },
  ORD_RESERVATION_MISMATCH: {
    httpStatus: 500,
    retryable: false,
    description: "Consumer: InventoryReserved whose lines differ from the order's; dead-lettered.",
  },
  ORD_PAYMENT_MISMATCH: {
    httpStatus: 500,
    retryable: false,
    description: 'Consumer: a payment reply naming a payment or refund id the saga never used; dead-lettered.',
  },
  ORD_RATE_LIMITED: {
    httpStatus: 429,
    retryable: true,
    description:
      "`POST /orders` more often than `ORDER_RATE_LIMIT_MAX` times (default 30) per `ORDER_RATE_LIMIT_WINDOW_MS` (default one minute) by one customer (the token's subject): refused with `Retry-After` (the seconds until the window ends).",
  },
  ORD_CUSTOMER_ID_REQUIRED: {
    httpStatus: 400,
    retryable: false,
    description:
      '`GET /orders` by an operator without `customerId`, `status` or `sagaState` (a customer lists their own orders).',
  },
  ORD_OVERLOADED: {
    httpStatus: 503,
    retryable: true,
    description:
      '`POST /orders` while `ORDER_MAX_DB_QUEUE` (default 50) requests already wait for a database connection: refused at once with `Retry-After: 1` (load shedding).',
  },
  ORD_OUT_OF_STOCK: {
    httpStatus: 409,
    retryable: false,
    description:
      '`POST /orders` in the REST reservation mode: Inventory could not reserve every line; the order is recorded CANCELLED (`ITEMS_UNAVAILABLE`, the failing lines in `details`).',
  },
  ORD_INVENTORY_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description:
      '`POST /orders` in the REST reservation mode: Inventory did not answer (timeouts and retries spent, or the circuit open); `Retry-After: 1`. Retrying with the same `Idempotency-Key` resumes the same order; unanswered, it is cancelled (`PROCESSING_TIMEOUT`) after `ORDER_REST_RESERVATION_DEADLINE_MS`.',
  },
  ORD_SAGA_NOT_FAILED: {
    httpStatus: 409,
    retryable: false,
    description: '`POST /sagas/{id}/retry` of a saga that is not `COMPENSATION_FAILED`.',
  },
  ORD_SAGA_NEEDS_OPERATOR: {
    httpStatus: 409,
    retryable: false,
    description: '`POST /orders/{id}/cancel` while the saga waits for an operator (its commit went unanswered).',
  },
} as const satisfies Record<`ORD_${string}`, ErrorSpec>;

export type OrderErrorCode = keyof typeof ORDER_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const orderError: ErrorFactory<OrderErrorCode> = errorFactory(ORDER_ERRORS);
