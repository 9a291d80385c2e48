/**
 * The closed set of Order Service error codes. Each has a fixed HTTP status (where it reaches HTTP) and
 * retry flag; the consumer runner dead-letters non-retryable ones. Documented in services/order/README.md
 * (a test fails when a code is missing there). Schema violations of requests are the platform's
 * `HTTP_VALIDATION_FAILED`; oversized bodies are Fastify's `FST_ERR_CTP_BODY_TOO_LARGE` (413).
 */
import { type AppError, errorFactory } from '@shop/platform';

export const ORDER_ERRORS = {
  /** No order with this id (GET /orders/{id}). */
  ORD_NOT_FOUND: { httpStatus: 404, retryable: false },
  /** The Idempotency-Key was already used by this customer for a different request. */
  ORD_IDEMPOTENCY_KEY_REUSED: { httpStatus: 422, retryable: false },
  /** Lines naming the same SKU add up to more than the per-line maximum. */
  ORD_LINE_QUANTITY_TOO_LARGE: { httpStatus: 400, retryable: false },
  /** The phone number is not an international number (E.164 after removing separators). */
  ORD_INVALID_PHONE: { httpStatus: 400, retryable: false },
  /** The contact passed the HTTP schema but not the contract's (e.g. an e-mail form only one validator accepts). */
  ORD_INVALID_CONTACT: { httpStatus: 400, retryable: false },
  /** `?wait=` is longer than the service allows. */
  ORD_WAIT_TOO_LONG: { httpStatus: 400, retryable: false },
  /** `?limit=` is outside 1..MAX_PAGE_SIZE. */
  ORD_PAGE_LIMIT_OUT_OF_RANGE: { httpStatus: 400, retryable: false },
  /** `?before=` names no order of this customer. */
  ORD_UNKNOWN_CURSOR: { httpStatus: 400, retryable: false },
  /** Consumer: an event the saga cannot act on (a type not on its topics, or no order id). Dead-lettered. */
  ORD_UNEXPECTED_EVENT: { httpStatus: 500, retryable: false },
  /** Consumer: a reply for an order this service does not have. Dead-lettered. */
  ORD_UNKNOWN_ORDER: { httpStatus: 500, retryable: false },
  /** Consumer: a reservation whose lines differ from the order's. Dead-lettered. */
  ORD_RESERVATION_MISMATCH: { httpStatus: 500, retryable: false },
  /** Consumer: a payment reply naming a payment or refund id the saga never used. Dead-lettered. */
  ORD_PAYMENT_MISMATCH: { httpStatus: 500, retryable: false },
  /** POST /orders refused at once because the database queue is full (load shedding); retry after Retry-After. */
  ORD_OVERLOADED: { httpStatus: 503, retryable: true },
  /** Operator retry of a saga that is not COMPENSATION_FAILED. */
  ORD_SAGA_NOT_FAILED: { httpStatus: 409, retryable: false },
  /** Cancellation of an order whose saga waits for an operator (its commit is unanswered). */
  ORD_SAGA_NEEDS_OPERATOR: { httpStatus: 409, retryable: false },
} as const satisfies Record<`ORD_${string}`, { httpStatus: number; retryable: boolean }>;

export type OrderErrorCode = keyof typeof ORDER_ERRORS;

const buildOrderError = errorFactory(ORDER_ERRORS);

export function orderError(
  code: OrderErrorCode,
  message: string,
  details?: Record<string, unknown>,
): AppError<OrderErrorCode> {
  return buildOrderError(code, message, details === undefined ? {} : { details });
}
