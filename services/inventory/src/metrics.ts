/**
 * The Inventory Service's own Prometheus metrics, on the service's registry (served at /metrics).
 * Counters are incremented when the handler has decided, inside its transaction: a transaction that
 * then fails to commit is retried and counted again, so they can over-count by the (rare) retries.
 */
import { type Logger, type Pool, scrapeGauge } from '@shop/platform';
import { Counter, type Registry } from 'prom-client';
import { stockTotals } from './db/product-repository.ts';

/** How an OrderPlaced ended: stock reserved, reservation failed, or the order was already decided. */
export type ReservationOutcome = 'reserved' | 'failed' | 'duplicate';

/** What a commit or release command did. */
export type SettlementOutcome = 'applied' | 'repeated' | 'superseded' | 'nothing-held' | 'tombstone';

export interface InventoryMetrics {
  reservations: Counter<'outcome'>;
  settlements: Counter<'command' | 'outcome'>;
}

export function createInventoryMetrics(registry: Registry, pool: Pool, logger: Logger): InventoryMetrics {
  scrapeGauge({
    name: 'inventory_stock_units',
    help: 'Units over the whole catalog per stock bucket (available, reserved, sold), read at scrape time',
    labelNames: ['bucket'],
    registry,
    logger,
    // A scrape while the database is down still serves the other metrics (outbox, consumers): the series
    // disappear (unknown) rather than show stale numbers, and /ready reports the outage.
    whenUnreadable: 'clear',
    async read() {
      const totals = await stockTotals(pool);
      return (['available', 'reserved', 'sold'] as const).map((bucket) => ({
        labels: { bucket },
        value: totals[bucket],
      }));
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
