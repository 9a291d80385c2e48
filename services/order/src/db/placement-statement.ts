/**
 * The placement statement: the idempotency claims, the orders, their sagas and first steps, and their
 * OrderPlaced outbox rows, for many orders in one statement (the group-committed hot path of POST /orders).
 */
import { type OutboxMessage, platformError, type Queryable } from '@shop/platform';
import type { PlaceOrderCommand } from '../domain/place-order-command.ts';
import type { SagaStart } from '../domain/saga/start-saga.ts';

export type PlacementResult =
  | { readonly placed: true }
  | { readonly placed: false; readonly orderId: string; readonly fingerprint: string };

/** An order to place, with its saga's start (what `startSaga` decided) and its OrderPlaced outbox row. */
export interface NewOrder {
  readonly id: string;
  readonly command: PlaceOrderCommand;
  readonly saga: SagaStart;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
  /** OrderPlaced: its event id is recorded as the first step's request. */
  readonly placed: OutboxMessage;
  /**
   * False in the REST reservation mode: the reservation is asked for synchronously, so OrderPlaced is not
   * written to the outbox (its id still names the step's request).
   */
  readonly publish: boolean;
}

/**
 * Places orders in ONE statement (one round trip and, run on the pool outside an explicit transaction, one
 * implicit transaction): for each, the idempotency key (when given), the PENDING order with its lines, its saga
 * as `startSaga` decided (its state, and its first step due `deadlineAfterMs` after the statement's `now()`:
 * the database's clock, which every deadline is compared on), and the OrderPlaced outbox row (unless `publish`
 * is false). All of them commit or none.
 * Returns one result per order, in order.
 *
 * With a key, the claim is `INSERT … ON CONFLICT DO UPDATE … RETURNING`: a concurrent request holding the
 * same key makes this statement wait until it ends; if it committed, the conflicting row is locked and
 * returned (DO UPDATE returns the row even though this statement's snapshot predates it, which a plain
 * sub-select would not see), and nothing else is written for that order (the other inserts read `placed`,
 * which leaves out every order whose key belongs to another); if it rolled back, this order claims the key.
 * The update is a no-op on the holder's values, so the key keeps naming the first order. Keys are claimed in
 * (customer, key) order, so two statements claiming overlapping keys wait for each other, never deadlock.
 * Callers never pass one (customer, key) twice in one call (one statement cannot claim a row twice).
 */
export async function placeOrders(db: Queryable, orders: readonly NewOrder[]): Promise<PlacementResult[]> {
  if (orders.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    placed: boolean;
    holder_id: string | null;
    holder_fingerprint: string | null;
  }>({
    name: 'order-place',
    text: `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::jsonb[], $5::text[], $6::text[], $7::uuid[],
                            $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::jsonb[],
                            $14::text[], $15::text[], $16::boolean[])
         WITH ORDINALITY AS i(id, customer_id, lines, contact, idempotency_key, fingerprint, event_id,
                              deadline_after_ms, event_type, topic, message_key, payload, headers, saga_state,
                              first_step, publish, seq)
     ), claim AS (
       INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id)
       SELECT customer_id, idempotency_key, fingerprint, id FROM input WHERE idempotency_key IS NOT NULL
       ORDER BY customer_id, idempotency_key
       ON CONFLICT (customer_id, idempotency_key) DO UPDATE SET order_id = idempotency_keys.order_id
       RETURNING customer_id, idempotency_key, order_id, request_fingerprint
     ), placed AS (
       SELECT i.* FROM input i
       WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.customer_id = i.customer_id
                           AND c.idempotency_key = i.idempotency_key AND c.order_id <> i.id)
     ), new_order AS (
       INSERT INTO orders (id, customer_id, status, lines, contact, created_at, updated_at)
       SELECT id, customer_id, 'PENDING', lines, contact, now(), now() FROM placed ORDER BY seq
       RETURNING id
     ), new_saga AS (
       INSERT INTO order_sagas (order_id, state, created_at, updated_at)
       SELECT id, saga_state, now(), now() FROM placed ORDER BY seq
     ), first_step AS (
       INSERT INTO order_saga_steps (order_id, step, attempt, status, started_at, request_event_id, deadline_at)
       SELECT id, first_step, 1, 'STARTED', now(), event_id, now() + deadline_after_ms * interval '1 millisecond'
       FROM placed ORDER BY seq
     ), placed_event AS (
       INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
       SELECT event_id, event_type, topic, message_key, payload, headers FROM placed WHERE publish ORDER BY seq
     )
     SELECT i.id, n.id IS NOT NULL AS placed, c.order_id AS holder_id, c.request_fingerprint AS holder_fingerprint
     FROM input i
     LEFT JOIN new_order n ON n.id = i.id
     LEFT JOIN claim c ON c.customer_id = i.customer_id AND c.idempotency_key = i.idempotency_key
     ORDER BY i.seq`,
    values: [
      orders.map((order) => order.id),
      orders.map((order) => order.command.customerId),
      orders.map((order) => JSON.stringify(order.command.lines)),
      orders.map((order) => JSON.stringify(order.command.contact)),
      orders.map((order) => order.idempotency?.key ?? null),
      orders.map((order) => order.idempotency?.fingerprint ?? null),
      orders.map((order) => order.placed.eventId),
      orders.map((order) => order.saga.deadlineAfterMs),
      orders.map((order) => order.placed.eventType),
      orders.map((order) => order.placed.topic),
      orders.map((order) => order.placed.key),
      orders.map((order) => order.placed.payload),
      orders.map((order) => JSON.stringify(order.placed.headers)),
      orders.map((order) => order.saga.state),
      orders.map((order) => order.saga.step),
      orders.map((order) => order.publish),
    ],
  });
  return orders.map((order, index) => {
    const row = rows[index];
    if (row?.id === order.id && row.placed) return { placed: true };
    if (row?.holder_id == null || row.holder_fingerprint === null) {
      // Keys are never deleted, so a key that blocked an order always names its holder; fail loudly if not.
      throw platformError('PLT_UNEXPECTED', `order ${order.id} was neither placed nor blocked by an idempotency key`);
    }
    return { placed: false, orderId: row.holder_id, fingerprint: row.holder_fingerprint };
  });
}
