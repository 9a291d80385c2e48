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
});

export interface OrderSettings {
  readonly saga: SagaSettings;
  readonly deadlineScanIntervalMs: number;
  readonly maxDbQueue: number;
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
  });
}
