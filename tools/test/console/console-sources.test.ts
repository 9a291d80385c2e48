/**
 * The console's pure parts and its answer when a service is down: /metrics text read into samples, per-second
 * rates between two readings, and a call to a port nobody listens on coming back as CON_SERVICE_UNAVAILABLE
 * (a part of the page marked unavailable), never as a thrown error.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { ratesBetween } from '../../src/console/live-sources.ts';
import { parseSamples, sumOf } from '../../src/console/prometheus-text.ts';
import { operatorTokenCredentials, readPart, type ServiceUrls } from '../../src/console/service-client.ts';

const EXPOSITION = `# HELP orders_settled_total Orders that reached a final status
# TYPE orders_settled_total counter
orders_settled_total{status="CONFIRMED"} 7
orders_settled_total{status="CANCELLED"} 2
orders_placed_total 10
outbox_backlog{service="order-service"} 3
odd_label{path="a \\"quoted\\" \\\\ value"} 1.5e3
`;

test('parseSamples reads names, labels (escapes included) and values; sumOf adds the matching ones', () => {
  const samples = parseSamples(EXPOSITION);
  assert.equal(samples.length, 5);
  assert.equal(sumOf(samples, 'orders_settled_total'), 9);
  assert.equal(sumOf(samples, 'orders_settled_total', { status: 'CONFIRMED' }), 7);
  assert.equal(sumOf(samples, 'orders_placed_total'), 10);
  assert.equal(sumOf(samples, 'missing_total'), 0);
  assert.deepEqual(samples[4], { name: 'odd_label', labels: { path: 'a "quoted" \\ value' }, value: 1500 });
});

test('ratesBetween gives per-second rates, and nothing without a previous reading or after a counter reset', () => {
  const before = { at: 1_000, placed: 10, confirmed: 5, cancelled: 1 };
  const after = { at: 3_000, placed: 20, confirmed: 11, cancelled: 2 };
  assert.deepEqual(ratesBetween(before, after), { placed: 5, confirmed: 3, cancelled: 0.5, pending: 1.5 });
  assert.equal(ratesBetween(undefined, after), undefined);
  assert.equal(ratesBetween(after, { at: 4_000, placed: 1, confirmed: 0, cancelled: 0 }), undefined);
});

test('a service that does not answer is a failed part with CON_SERVICE_UNAVAILABLE, not an exception', async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const down = `http://127.0.0.1:${port}`;
  const urls: ServiceUrls = { order: down, inventory: down, payment: down, notification: down };
  const part = await readPart(
    { urls, credentials: operatorTokenCredentials('unused') },
    'payment',
    '/payments?orderId=x',
    { as: 'operator' },
  );
  assert.equal(part.ok, false);
  assert.equal(part.ok ? undefined : part.error.code, 'CON_SERVICE_UNAVAILABLE');
  assert.match(part.ok ? '' : part.error.message, /payment service did not answer/);
});
