/**
 * The Inventory Service's own Prometheus metrics, on the service's registry (served at /metrics).
 * Counters are incremented when the handler has decided, inside its transaction: a transaction that
 * then fails to commit is retried and counted again, so they can over-count by the (rare) retries.
 */
import type { Pool } from '@shop/platform/db/pool';
import { Counter, Gauge, type Registry } from 'prom-client';
import { stockTotals } from './db/product-repository.ts';

/** How an OrderPlaced ended: stock reserved, reservation failed, or the order was already decided. */
export type ReservationOutcome = 'reserved' | 'failed' | 'duplicate';

/** What a commit or release command did. */
export type SettlementOutcome = 'applied' | 'repeated' | 'superseded' | 'nothing-held' | 'tombstone';

export interface InventoryMetrics {
  reservations: Counter<'outcome'>;
  settlements: Counter<'command' | 'outcome'>;
}

export function createInventoryMetrics(registry: Registry, pool: Pool): InventoryMetrics {
  new Gauge({
    name: 'inventory_stock_units',
    help: 'Units over the whole catalog per stock bucket (available, reserved, sold), read at scrape time',
    labelNames: ['bucket'],
    registers: [registry],
    async collect() {
      // A scrape while the database is down must still serve the other metrics (outbox, consumers):
      // the series disappear (unknown) rather than show stale numbers, and /ready reports the outage.
      const totals = await stockTotals(pool).catch(() => undefined);
      this.reset();
      if (totals === undefined) return;
      for (const bucket of ['available', 'reserved', 'sold'] as const) this.set({ bucket }, totals[bucket]);
    },
  });
  return {
    reservations: new Counter({
      name: 'inventory_reservations_total',
      help: 'OrderPlaced events decided, by outcome (reserved, failed, duplicate)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    settlements: new Counter({
      name: 'inventory_reservation_commands_total',
      help: 'CommitReservation and ReleaseReservation commands handled, by command and outcome',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    }),
  };
}
