/**
 * Hostile HTTP input at scale, against the four services started in-process (requests go through Fastify's
 * `inject`: the whole of each service's HTTP stack, validation, routes and database, without sockets):
 * FUZZ_REQUESTS generated requests (default 10,000; FUZZ_SEED replays a run) of wrong types, huge and deep
 * bodies, Unicode and NUL, header abuse and path tricks. None is answered 5xx, every write is refused with a
 * 4xx error body, and none changes any service's database. Then concurrent placements on one idempotency key
 * make exactly one order each.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { RunningService } from '@shop/platform';
import { customerToken, eventually, operatorToken, serviceToken } from '@shop/test-support';
import {
  notifications,
  placeOrder,
  putStock,
  type ServiceLabel,
  sagaFinished,
  startStack,
  type TestStack,
} from '@shop/test-support/stack';
import fc from 'fast-check';
import { type HostileRequest, hostileRequest } from './hostile-requests.ts';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Every table of every service's database: row count and a digest of the rows. */
async function snapshot(stack: TestStack): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const label of ['order', 'inventory', 'payment', 'notification'] as const) {
    const { pool } = stack[label].context;
    const { rows: tables } = await pool.query<{ name: string }>(
      `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    for (const { name } of tables) {
      const { rows } = await pool.query<{ count: string; digest: string }>(
        `SELECT count(*) AS count, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest FROM ${name} t`,
      );
      state[`${label}.${name}`] = `${rows[0]?.count} rows, ${rows[0]?.digest}`;
    }
  }
  return state;
}

async function outboxesEmpty(stack: TestStack): Promise<boolean> {
  for (const label of ['order', 'inventory', 'payment', 'notification'] as const) {
    const { rows } = await stack[label].context.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
    if (rows[0]?.n !== '0') return false;
  }
  return true;
}

async function send(service: RunningService, request: HostileRequest): Promise<{ statusCode: number; body: string }> {
  if (!URL.canParse(request.url, 'http://localhost')) return sendRaw(service, request);
  return service.context.app.inject({
    method: request.method,
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
}

/**
 * A target no URL parser accepts (a backslash, say) cannot go through `inject`, which parses it first; a raw
 * client can still send it, so it goes over a socket to the listening service, byte for byte.
 */
async function sendRaw(
  service: RunningService,
  request: HostileRequest,
): Promise<{ statusCode: number; body: string }> {
  const { hostname, port } = new URL(service.url);
  const payload =
    request.payload === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(request.payload)
        ? request.payload
        : Buffer.from(typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload));
  const headers = Object.entries(request.headers ?? {})
    .filter(([name]) => !['host', 'content-length', 'connection'].includes(name.toLowerCase()))
    .map(([name, value]) => `${name}: ${String(value)}\r\n`)
    .join('');
  const head = `${request.method} ${request.url} HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\ncontent-length: ${payload.length}\r\n${headers}\r\n`;
  const answer = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () =>
      socket.end(Buffer.concat([Buffer.from(head, 'latin1'), payload])),
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
  const statusCode = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  assert.ok(
    Number.isInteger(statusCode),
    `no HTTP answer to ${request.method} ${request.url}: ${answer.slice(0, 200)}`,
  );
  return { statusCode, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) };
}

function describe(request: HostileRequest, status: number, body: string): string {
  const payload = request.payload === undefined ? '' : ` payload ${request.payload.slice(0, 200)}`;
  return `${request.label}: ${request.method} ${request.url.slice(0, 200)}${payload} → ${status} ${body.slice(0, 300)}`;
}

test('generated hostile requests to every route should never be answered 5xx, every write should be refused, and no database should change', async (t) => {
  const stack = await startStack(t);
  // Some real data for the reads to find: one product, one order settled end to end.
  const sku = `FUZZ-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, sku, 50);
  const customerId = crypto.randomUUID();
  const orderId = await placeOrder(stack.order.url, [{ sku, quantity: 1 }], { customerId });
  await sagaFinished(stack.order.url, orderId);
  await eventually(
    async () => ((await notifications(stack.notification.url, orderId)).length === 1 ? true : undefined),
    20_000,
    'the order notified',
  );
  await eventually(async () => ((await outboxesEmpty(stack)) ? true : undefined), 20_000, 'every outbox relayed');
  const before = await snapshot(stack);
  const tokens = {
    customer: await customerToken(customerId),
    otherCustomer: await customerToken(crypto.randomUUID()),
    operator: await operatorToken(),
    service: await serviceToken(),
  };

  const counts = { requests: 0, refusedWrites: 0, byStatus: new Map<number, number>() };
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(hostileRequest({ orderId, customerId, sku, tokens }), async (request) => {
      const response = await send(stack[request.service as ServiceLabel], request);
      counts.requests++;
      counts.byStatus.set(response.statusCode, (counts.byStatus.get(response.statusCode) ?? 0) + 1);
      const what = describe(request, response.statusCode, response.body);
      assert.ok(response.statusCode < 500, `answered 5xx: ${what}`);
      if (request.mustReject) {
        assert.ok(response.statusCode >= 400, `a write that must be refused was accepted: ${what}`);
        counts.refusedWrites++;
      }
      if (response.statusCode >= 400 && request.method !== 'HEAD') {
        const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof body.error?.code, 'string', `an error without a code: ${what}`);
        assert.equal(typeof body.error?.message, 'string', `an error without a message: ${what}`);
      }
    }),
    { numRuns: REQUESTS, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(
    `${counts.requests} requests in ${seconds.toFixed(1)} s, ${counts.refusedWrites} writes refused; statuses ${JSON.stringify(
      Object.fromEntries([...counts.byStatus].sort(([a], [b]) => a - b)),
    )}`,
  );
  assert.equal(counts.requests, REQUESTS);

  // Nothing was accepted that writes, and the stack was idle: every table is exactly as it was.
  assert.deepEqual(await snapshot(stack), before, 'no refused request changed any database');
});

test('concurrent placements on one idempotency key should make exactly one order, and other bodies on that key should be refused', async (t) => {
  // 80 placements by one customer: above the default limit per customer, which is not what this test is about.
  const stack = await startStack(t, { env: { order: { ORDER_RATE_LIMIT_MAX: '1000' } } });
  const sku = `IDEM-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, sku, 100);
  const { pool } = stack.order.context;
  const ordersBefore = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]?.n);
  const body = (quantity: number) =>
    JSON.stringify({ items: [{ sku, quantity }], contact: { email: 'idem@example.com' } });
  // One customer: keys are scoped per customer.
  const authorization = `Bearer ${await customerToken('6f1d7a52-0c0e-4b8e-9a57-3f7f1c3c0a11')}`;
  const place = (key: string, payload: string) =>
    stack.order.context.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization },
      payload,
    });

  // One key, one body, 40 at once: one order, every answer names it.
  const same = await Promise.all(Array.from({ length: 40 }, () => place('fuzz-key-same', body(1))));
  assert.deepEqual([...new Set(same.map((r) => r.statusCode))], [202]);
  const sameIds = new Set(same.map((r) => (JSON.parse(r.body) as { orderId: string }).orderId));
  assert.equal(sameIds.size, 1, 'one order for the key');

  // One key, two bodies, 40 at once: the answers that succeed name one order; the others are refused.
  const mixed = await Promise.all(Array.from({ length: 40 }, (_, i) => place('fuzz-key-mixed', body(1 + (i % 2)))));
  const accepted = mixed.filter((r) => r.statusCode === 202);
  const refused = mixed.filter((r) => r.statusCode !== 202);
  assert.ok(accepted.length >= 1);
  assert.equal(new Set(accepted.map((r) => (JSON.parse(r.body) as { orderId: string }).orderId)).size, 1);
  for (const response of refused) {
    assert.equal(response.statusCode, 422, response.body);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'ORD_IDEMPOTENCY_KEY_REUSED');
  }
  const ordersAfter = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]?.n);
  assert.equal(ordersAfter - ordersBefore, 2, 'exactly one order per key');
  const mixedId = (JSON.parse(accepted[0]?.body ?? '{}') as { orderId: string }).orderId;
  for (const id of [...sameIds, mixedId]) {
    assert.equal((await sagaFinished(stack.order.url, id)).status, 'CONFIRMED');
  }
});
