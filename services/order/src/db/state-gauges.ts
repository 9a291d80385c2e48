/**
 * Gauges read from the orders database when Prometheus scrapes, so they are right even when no event
 * flows (a stuck order is exactly the case where nothing else would update a metric). While the database
 * is down they keep their last values and /metrics still answers (scrapeGauge).
 */
import { type Logger, type Pool, scrapeGauge } from '@shop/platform';
import type { Registry } from 'prom-client';

export function registerStateGauges(registry: Registry, pool: Pool, logger: Logger): void {
  scrapeGauge({
    name: 'orders_pending',
    help: 'Orders not yet CONFIRMED or CANCELLED',
    registry,
    logger,
    async read() {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM orders WHERE status = 'PENDING'");
      return [{ value: Number(rows[0]?.n ?? 0) }];
    },
  });
  scrapeGauge({
    name: 'orders_pending_oldest_age_seconds',
    help: 'Age of the oldest PENDING order (0 when none): alerts on orders stuck in the flow',
    registry,
    logger,
    async read() {
      const { rows } = await pool.query<{ age: number | null }>(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS age FROM orders WHERE status = 'PENDING'",
      );
      return [{ value: rows[0]?.age ?? 0 }];
    },
  });
  scrapeGauge({
    name: 'order_sagas',
    help: 'Order sagas by state (e.g. COMPENSATION_FAILED once the payment saga exists)',
    labelNames: ['state'],
    registry,
    logger,
    async read() {
      const { rows } = await pool.query<{ state: string; n: string }>(
        'SELECT state, count(*) AS n FROM order_sagas GROUP BY state',
      );
      return rows.map((row) => ({ labels: { state: row.state }, value: Number(row.n) }));
    },
  });
}
