/**
 * The Order Service's own settings (beyond the platform's PORT, DATABASE_URL, KAFKA_*, ...): the saga's
 * timing. Validated once at start-up; the defaults suit a production-like stack, tests shorten them.
 */
import { type Env, loadEnv } from '@shop/platform';
import Type from 'typebox';
import { DEFAULT_SAGA_SETTINGS, type SagaSettings } from './domain/saga/saga-timing.ts';

/** Bounds of the timing settings: below, replies could not arrive at all; above, a stuck order goes unseen. */
const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1_000;
const MAX_SETTLEMENT_ATTEMPTS = 100;
/**
 * Requests waiting for one of the pool's 10 connections before new orders are refused. A statement takes a few
 * ms, so 50 waiters are already hundreds of ms of queue; past that, refusing is kinder than a 5 s timeout.
 */
export const DEFAULT_MAX_DB_QUEUE = 50;
/**
 * Orders one customer may place per window: a person placing an order every two seconds for a minute is
 * already far beyond any real customer, and a runaway script is stopped within a minute.
 */
export const DEFAULT_RATE_LIMIT_MAX = 30;
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;

export const OrderEnvSchema = Type.Object({
  /** No reply to ChargePayment, CommitReservation, ReleaseReservation or RefundPayment by then: re-send it. */
  SAGA_STEP_TIMEOUT_MS: Type.Integer({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    default: DEFAULT_SAGA_SETTINGS.stepTimeoutMs,
  }),
  /** No answer from Inventory to OrderPlaced by then: cancel (PROCESSING_TIMEOUT) and release. */
  SAGA_RESERVATION_TIMEOUT_MS: Type.Integer({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    default: DEFAULT_SAGA_SETTINGS.reservationTimeoutMs,
  }),
  /** ChargePayment.expiresAt, from the start of the charge: re-sent until then, then given up and refunded. */
  SAGA_CHARGE_EXPIRY_MS: Type.Integer({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    default: DEFAULT_SAGA_SETTINGS.chargeExpiryMs,
  }),
  /** Attempts of a commit, release or refund before the saga waits in COMPENSATION_FAILED for an operator. */
  SAGA_MAX_SETTLEMENT_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: MAX_SETTLEMENT_ATTEMPTS,
    default: DEFAULT_SAGA_SETTINGS.maxSettlementAttempts,
  }),
  /** How often overdue saga steps are looked for. */
  SAGA_DEADLINE_SCAN_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000 }),
  /**
   * Load shedding: POST /orders answers 503 ORD_OVERLOADED (Retry-After) at once while this many requests
   * already wait for a database connection (or ten times as many orders for the next group-commit
   * statement), instead of queueing into the pool's 5 s timeout.
   */
  ORDER_MAX_DB_QUEUE: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_MAX_DB_QUEUE }),
  /** POST /orders per customer (the token's subject) and window; past it 429 ORD_RATE_LIMITED with Retry-After. */
  ORDER_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: DEFAULT_RATE_LIMIT_MAX }),
  /** The rate limit's window, in ms. */
  ORDER_RATE_LIMIT_WINDOW_MS: Type.Integer({
    minimum: 1_000,
    maximum: 24 * 60 * 60 * 1_000,
    default: DEFAULT_RATE_LIMIT_WINDOW_MS,
  }),
  /**
   * How the order's stock is reserved: `kafka` (OrderPlaced, answered by Inventory's events; POST answers 202
   * PENDING) or `rest` (POST calls Inventory's PUT /reservations/{orderId} and answers 201 or 409 at once).
   */
  ORDER_RESERVATION_MODE: Type.Union([Type.Literal('kafka'), Type.Literal('rest')], { default: 'kafka' }),
  /** REST mode: the Inventory Service's base URL. */
  INVENTORY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8082' }),
  /** REST mode: the timeout of one reservation call (a reservation is a few ms; its p99 under load well below this). */
  INVENTORY_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000 }),
  /** REST mode: attempts after the first (same order id, so Inventory decides once). */
  INVENTORY_RETRIES: Type.Integer({ minimum: 0, maximum: 3, default: 2 }),
  /** REST mode: failed calls in a row that open the circuit. */
  INVENTORY_BREAKER_FAILURES: Type.Integer({ minimum: 1, maximum: 1_000, default: 5 }),
  /** REST mode: how long an open circuit refuses calls before one trial call. */
  INVENTORY_BREAKER_OPEN_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 2_000 }),
  /**
   * REST mode: the reservation step's deadline. An order whose call went unanswered (503 to the customer)
   * waits this long for a retry with its Idempotency-Key, then is cancelled (PROCESSING_TIMEOUT) and released.
   */
  ORDER_REST_RESERVATION_DEADLINE_MS: Type.Integer({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    default: 30_000,
  }),
});

/** The REST reservation mode's client settings. */
export interface RestReservationSettings {
  readonly inventoryUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
  readonly deadlineMs: number;
}

export interface OrderSettings {
  readonly saga: SagaSettings;
  readonly deadlineScanIntervalMs: number;
  readonly maxDbQueue: number;
  readonly placeOrderRateLimit: { readonly max: number; readonly windowMs: number };
  readonly reservationMode: 'kafka' | 'rest';
  readonly rest: RestReservationSettings;
}

export function loadOrderSettings(env: Env): OrderSettings {
  const raw = loadEnv(OrderEnvSchema, env);
  return Object.freeze({
    saga: Object.freeze({
      stepTimeoutMs: raw.SAGA_STEP_TIMEOUT_MS,
      reservationTimeoutMs: raw.SAGA_RESERVATION_TIMEOUT_MS,
      chargeExpiryMs: raw.SAGA_CHARGE_EXPIRY_MS,
      maxSettlementAttempts: raw.SAGA_MAX_SETTLEMENT_ATTEMPTS,
    }),
    deadlineScanIntervalMs: raw.SAGA_DEADLINE_SCAN_INTERVAL_MS,
    maxDbQueue: raw.ORDER_MAX_DB_QUEUE,
    placeOrderRateLimit: Object.freeze({ max: raw.ORDER_RATE_LIMIT_MAX, windowMs: raw.ORDER_RATE_LIMIT_WINDOW_MS }),
    reservationMode: raw.ORDER_RESERVATION_MODE,
    rest: Object.freeze({
      inventoryUrl: raw.INVENTORY_URL.replace(/\/+$/, ''),
      timeoutMs: raw.INVENTORY_TIMEOUT_MS,
      retries: raw.INVENTORY_RETRIES,
      breakerFailures: raw.INVENTORY_BREAKER_FAILURES,
      breakerOpenMs: raw.INVENTORY_BREAKER_OPEN_MS,
      deadlineMs: raw.ORDER_REST_RESERVATION_DEADLINE_MS,
    }),
  });
}
