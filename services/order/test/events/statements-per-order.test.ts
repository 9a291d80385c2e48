/**
 * What an order costs the Order Service's database, measured end to end on the real broker: every statement
 * the service's pool runs (placement, the runner's transactions with their inbox inserts, the saga's writes,
 * the outbox relay's claims, the deadline scanner, readiness and gauges) while 100 orders go from POST to
 * a committed reservation, with each phase's replies (Inventory's, Payment's) arriving together, as they do under load.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causedBy, type EventType, encodeEvent, newEventMeta, type ServiceName } from '@shop/contracts';
import type { PoolClient } from '@shop/platform';
import { eventually } from '@shop/test-support';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';
import type { RecordedEvent } from '../support/topic-recorder.ts';

const ORDERS = 100;
const PRICE = { amountMinor: 1_250, currency: 'EUR' };
/** The Order Service's share of the throughput goal's statements per order, under batching. */
const MAX_STATEMENTS_PER_ORDER = 5;

test('an order should cost the Order Service at most 5 statements under batching', async (t) => {
  const { api, service, inventory, replies } = await startOrderStack(t);
  const { pool } = service.context;
  let statements = 0;
  const byKind = new Map<string, number>();
  const wrapped = new WeakSet<PoolClient>();
  const count = (client: PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query;
    client.query = ((...args: unknown[]) => {
      statements++;
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text);
      const kind = text.replace(/\s+/g, ' ').trim().slice(0, 70);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      return (query as (...a: unknown[]) => unknown).apply(client, args);
    }) as typeof client.query;
  };
  // Every statement goes through a checked-out client (pool.query checks one out too).
  pool.on('acquire', count);
  t.after(() => pool.off('acquire', count));

  const placed = await Promise.all(Array.from({ length: ORDERS }, () => api.post('/orders', orderBody())));
  assert.deepEqual(new Set(placed.map((response) => response.status)), new Set([202]));
  const orderIds = placed.map((response) => response.body.orderId as string);
  // Each phase's replies are published together, so they arrive together, as they do under load.
  const reply = (cause: RecordedEvent, type: EventType, producer: ServiceName, payload: Record<string, unknown>) =>
    // biome-ignore lint/suspicious/noExplicitAny: the contracts validate the payload when it is encoded
    encodeEvent({ meta: newEventMeta({ type, producer, ...causedBy(cause.meta) }), payload: payload as any });
  const placedEvents = await Promise.all(orderIds.map((orderId) => inventory.placed(orderId)));
  await inventory.publishAll(
    placedEvents.map((cause) => {
      const lines = cause.event.payload.lines.map((line) => ({ ...line, unitPrice: PRICE }));
      const amountMinor = lines.reduce((sum, line) => sum + line.quantity * PRICE.amountMinor, 0);
      return reply(cause, 'InventoryReserved', 'inventory-service', {
        orderId: cause.event.payload.orderId,
        lines,
        total: { amountMinor, currency: PRICE.currency },
      });
    }),
  );
  const charges = await Promise.all(orderIds.map((orderId) => replies.command(orderId, 'ChargePayment')));
  await inventory.publishAll(
    charges.map((charge) => {
      const { orderId, paymentId, amount } = charge.event.payload as Record<string, unknown>;
      return reply(charge, 'PaymentCaptured', 'payment-service', { orderId, paymentId, amount });
    }),
  );
  const commits = await Promise.all(orderIds.map((orderId) => replies.command(orderId, 'CommitReservation')));
  await inventory.publishAll(
    commits.map((commit) =>
      reply(commit, 'ReservationCommitted', 'inventory-service', {
        orderId: (commit.event.payload as { orderId: string }).orderId,
      }),
    ),
  );
  await eventually(
    async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM order_saga_steps WHERE order_id = ANY($1) AND step = 'COMMIT_STOCK'
           AND status = 'SUCCEEDED'`,
        [orderIds],
      );
      return rows[0].n === ORDERS ? true : undefined;
    },
    30_000,
    'every saga committed its stock',
  );
  const perOrder = statements / ORDERS;
  for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1])) t.diagnostic(`${n} ${kind}`);
  t.diagnostic(`${statements} statements for ${ORDERS} orders: ${perOrder.toFixed(2)} per order`);
  assert.ok(perOrder <= MAX_STATEMENTS_PER_ORDER, `${perOrder} statements per order`);
});
