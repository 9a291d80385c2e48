/** Request counts and latencies per route, from one onResponse hook (cheap: no per-request allocation beyond labels). */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

export const HTTP_LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/**
 * The prefix of a service's HTTP metrics: its name without `-service` (`order-service` →
 * `order_http_requests_total`), so each service's series keep the names they have always had.
 */
export function httpMetricsPrefix(service: string): string {
  return service.replace(/-service$/, '').replaceAll('-', '_');
}

export function registerHttpMetrics(app: FastifyInstance, registry: Registry, service: string): void {
  const prefix = httpMetricsPrefix(service);
  const requests = new Counter({
    name: `${prefix}_http_requests_total`,
    help: `HTTP requests answered by the ${service}, by route template and status code`,
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request latency by route template (long-polls included: they wait by design)',
    labelNames: ['method', 'route'],
    buckets: HTTP_LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route template, not the URL: ids in labels would make one time series per order.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1_000);
  });
}
