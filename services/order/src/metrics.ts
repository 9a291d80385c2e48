/**
 * The Order Service's business metrics, on the service's Prometheus registry (served at /metrics).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FinalOrderStatus } from './domain/order.ts';

/**
 * Buckets of the placed→final latency, in seconds: 10 ms (everything local and idle) to 30 s (a consumer
 * restarting or a retry tier); a p99 target of 500 ms falls between two buckets' edges.
 */
export const SETTLEMENT_LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface OrderMetrics {
  /** New orders accepted (idempotent replays are not new orders). */
  readonly placed: Counter;
  /** Requests answered from an existing Idempotency-Key. */
  readonly idempotentReplays: Counter;
  /** Orders that reached a final status, by status. */
  readonly settled: Counter<'status'>;
  /** Time from the order's creation to its final status. */
  readonly settlementSeconds: Histogram<'status'>;
  /** Saga replies acknowledged without effect, by event type and whether they contradicted the settled state. */
  readonly ignoredReplies: Counter<'type' | 'contradicts'>;
  /** Requests currently long-polling `GET /orders/{id}?wait=`. */
  readonly waiters: Gauge;
  /** Saga step attempts unanswered before their deadline (each is re-sent or given up), by step. */
  readonly stepTimeouts: Counter<'step'>;
  /** Settlement steps that exhausted their attempts and parked the saga in COMPENSATION_FAILED, by step. */
  readonly compensationFailures: Counter<'step'>;
  /** Reservations that arrived after the saga gave up on them, released again. */
  readonly strayReleases: Counter;
  /** Replies for an order that does not exist that were released or acknowledged rather than refused. */
  readonly unknownOrderReplies: Counter<'type' | 'action'>;
  /** POST /orders refused with ORD_OVERLOADED (load shedding). */
  readonly shed: Counter;
}

export function createOrderMetrics(registry: Registry, sources: { waiters(): number }): OrderMetrics {
  const registers = [registry];
  return {
    placed: new Counter({ name: 'orders_placed_total', help: 'Orders accepted (202), replays excluded', registers }),
    idempotentReplays: new Counter({
      name: 'orders_idempotent_replays_total',
      help: 'POST /orders answered from an existing Idempotency-Key',
      registers,
    }),
    settled: new Counter({
      name: 'orders_settled_total',
      help: 'Orders that reached a final status',
      labelNames: ['status'],
      registers,
    }),
    settlementSeconds: new Histogram({
      name: 'order_settlement_seconds',
      help: 'Time from order placement to its final status (CONFIRMED or CANCELLED)',
      labelNames: ['status'],
      buckets: SETTLEMENT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    ignoredReplies: new Counter({
      name: 'order_saga_ignored_replies_total',
      help: 'Saga replies for a step no longer in progress (duplicates, late replies); contradicts=true is an upstream bug',
      labelNames: ['type', 'contradicts'],
      registers,
    }),
    stepTimeouts: new Counter({
      name: 'order_saga_step_timeouts_total',
      help: 'Saga step attempts without a reply before their deadline (re-sent or given up), by step',
      labelNames: ['step'],
      registers,
    }),
    compensationFailures: new Counter({
      name: 'order_saga_compensation_failures_total',
      help: 'Settlement steps unanswered after every attempt: the saga waits in COMPENSATION_FAILED for an operator',
      labelNames: ['step'],
      registers,
    }),
    strayReleases: new Counter({
      name: 'order_saga_stray_releases_total',
      help: 'Reservations that arrived after the saga gave up on them and were released again',
      registers,
    }),
    unknownOrderReplies: new Counter({
      name: 'order_saga_unknown_order_replies_total',
      help: 'Replies for an order that does not exist (an OrderPlaced this service never wrote): action=released sent ReleaseReservation, action=acknowledged held nothing',
      labelNames: ['type', 'action'],
      registers,
    }),
    shed: new Counter({
      name: 'orders_shed_total',
      help: 'POST /orders refused with 503 ORD_OVERLOADED while the database queue was full',
      registers,
    }),
    waiters: new Gauge({
      name: 'order_status_waiters',
      help: 'Requests long-polling an order status',
      registers,
      collect() {
        this.set(sources.waiters());
      },
    }),
  };
}

/** Records a settlement; call after the settling transaction's work is done. */
export function recordSettlement(metrics: OrderMetrics, status: FinalOrderStatus, seconds: number): void {
  metrics.settled.inc({ status });
  metrics.settlementSeconds.observe({ status }, Math.max(0, seconds));
}
