/**
 * Gauges read from the orders database when Prometheus scrapes, so they are right even when no event
 * flows (a stuck order is exactly the case where nothing else would update a metric).
 */
import type { Pool } from '@shop/platform/db/pool';
import { Gauge, type Registry } from 'prom-client';

export function registerStateGauges(registry: Registry, pool: Pool): void {
  new Gauge({
    name: 'orders_pending',
    help: 'Orders not yet CONFIRMED or CANCELLED',
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM orders WHERE status = 'PENDING'");
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  new Gauge({
    name: 'orders_pending_oldest_age_seconds',
    help: 'Age of the oldest PENDING order (0 when none): alerts on orders stuck in the flow',
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ age: number | null }>(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS age FROM orders WHERE status = 'PENDING'",
      );
      this.set(rows[0]?.age ?? 0);
    },
  });
  new Gauge({
    name: 'order_sagas',
    help: 'Order sagas by state (e.g. COMPENSATION_FAILED once the payment saga exists)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ state: string; n: string }>(
        'SELECT state, count(*) AS n FROM order_sagas GROUP BY state',
      );
      this.reset();
      for (const row of rows) this.set({ state: row.state }, Number(row.n));
    },
  });
}
