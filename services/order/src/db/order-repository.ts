/**
 * SQL of the Order Service. Every function takes the connection or transaction to run on, so callers
 * decide what commits together (the order and its OrderPlaced event; a settlement and its outcome event).
 */
import type { PoolClient } from '@shop/platform/db/pool';
import { platformError } from '@shop/platform/errors';
import type { CancelReason, Contact, Money, OrderLine, OrderStatus } from '../domain/order.ts';
import type { SagaState, SagaStep, SagaTransition } from '../domain/order-saga.ts';
import type { PlaceOrderCommand } from '../domain/place-order.ts';

/** The one method of a pool or client this module needs. */
export type Queryable = Pick<PoolClient, 'query'>;

/** An order as the API shows it (no contact: personal data is not served over HTTP). */
export interface OrderRecord {
  readonly id: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly lines: readonly OrderLine[];
  readonly total?: Money;
  readonly cancelReason?: CancelReason;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly settledAt?: Date;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  lines: OrderLine[];
  total_amount_minor: string | null;
  total_currency: string | null;
  cancel_reason_code: CancelReason['code'] | null;
  cancel_reason_message: string | null;
  created_at: Date;
  updated_at: Date;
  settled_at: Date | null;
}

const ORDER_COLUMNS = `o.id, o.customer_id, o.status, o.lines, o.total_amount_minor, o.total_currency,
  o.cancel_reason_code, o.cancel_reason_message, o.created_at, o.updated_at, o.settled_at`;

function toRecord(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    lines: row.lines,
    // bigint arrives as text; the contract bounds amounts to Number.MAX_SAFE_INTEGER, so Number is exact.
    ...(row.total_amount_minor === null || row.total_currency === null
      ? {}
      : { total: { amountMinor: Number(row.total_amount_minor), currency: row.total_currency } }),
    ...(row.cancel_reason_code === null || row.cancel_reason_message === null
      ? {}
      : { cancelReason: { code: row.cancel_reason_code, message: row.cancel_reason_message } }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.settled_at === null ? {} : { settledAt: row.settled_at }),
  };
}

export type IdempotencyClaim =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly orderId: string; readonly fingerprint: string };

/**
 * Claims `(customerId, key)` for a new order, or returns who holds it. A concurrent claim of the same key
 * blocks on the primary key until the holder's transaction ends: if it committed, this one sees its row;
 * if it rolled back, this one claims the key. Must run inside the transaction that writes the order.
 */
export async function claimIdempotencyKey(
  client: Queryable,
  claim: { customerId: string; key: string; fingerprint: string; orderId: string },
): Promise<IdempotencyClaim> {
  const inserted = await client.query(
    `INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id)
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [claim.customerId, claim.key, claim.fingerprint, claim.orderId],
  );
  if (inserted.rowCount === 1) return { claimed: true };
  // READ COMMITTED: this statement's snapshot is taken after the conflicting transaction committed.
  const { rows } = await client.query<{ order_id: string; request_fingerprint: string }>(
    'SELECT order_id, request_fingerprint FROM idempotency_keys WHERE customer_id = $1 AND idempotency_key = $2',
    [claim.customerId, claim.key],
  );
  const holder = rows[0];
  if (holder === undefined) {
    // Keys are never deleted, so a conflict without a visible row cannot happen; fail loudly if it does.
    throw platformError(
      'PLT_UNEXPECTED',
      `idempotency key conflict for customer ${claim.customerId} without a visible holder`,
    );
  }
  return { claimed: false, orderId: holder.order_id, fingerprint: holder.request_fingerprint };
}

/** Inserts a PENDING order and its saga in state `saga.state`. */
export async function insertOrder(
  client: Queryable,
  order: { id: string; command: PlaceOrderCommand; saga: { state: SagaState } },
): Promise<void> {
  const { id, command } = order;
  await client.query(
    `INSERT INTO orders (id, customer_id, status, lines, contact, created_at, updated_at)
     VALUES ($1, $2, 'PENDING', $3, $4, now(), now())`,
    [id, command.customerId, JSON.stringify(command.lines), JSON.stringify(command.contact)],
  );
  await client.query(
    'INSERT INTO order_sagas (order_id, state, created_at, updated_at) VALUES ($1, $2, now(), now())',
    [id, order.saga.state],
  );
}

/** Records that a saga step was started by the event `requestEventId` (first attempt). */
export async function startSagaStep(
  client: Queryable,
  step: { orderId: string; step: SagaStep; requestEventId: string },
): Promise<void> {
  await client.query(
    `INSERT INTO order_saga_steps (order_id, step, attempt, status, started_at, request_event_id)
     VALUES ($1, $2, 1, 'STARTED', now(), $3)`,
    [step.orderId, step.step, step.requestEventId],
  );
}

export async function findOrder(db: Queryable, id: string): Promise<OrderRecord | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1`, [id]);
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

/** Whether order `id` exists and belongs to `customerId` (a valid `before` cursor). */
export async function isCustomersOrder(db: Queryable, id: string, customerId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM orders WHERE id = $1 AND customer_id = $2', [id, customerId]);
  return rowCount === 1;
}

/**
 * Up to `limit` orders of `customerId`, newest first; with `before`, only those listed after that order
 * (older, or as old with a smaller id), which makes pages stable while new orders arrive.
 */
export async function listOrders(
  db: Queryable,
  query: { customerId: string; limit: number; before?: string },
): Promise<OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders o
     WHERE o.customer_id = $1
       AND ($3::uuid IS NULL OR (o.created_at, o.id) < (SELECT c.created_at, c.id FROM orders c WHERE c.id = $3))
     ORDER BY o.created_at DESC, o.id DESC
     LIMIT $2`,
    [query.customerId, query.limit, query.before ?? null],
  );
  return rows.map(toRecord);
}

/** What the saga needs to decide, read under a row lock. */
export interface LockedSaga {
  readonly state: SagaState;
  readonly lines: readonly OrderLine[];
  readonly contact: Contact;
}

/**
 * Locks the order and its saga (`FOR UPDATE`) for the rest of the transaction and returns their state.
 * Everything that changes an order's saga takes this lock first, so two replies for one order (from the
 * main consumer and a retry tier, or two service instances during a rebalance) are decided one after the
 * other, each seeing the other's result, and their outbox rows are written in decision order.
 */
export async function lockSaga(client: Queryable, orderId: string): Promise<LockedSaga | undefined> {
  const { rows } = await client.query<{ state: SagaState; lines: OrderLine[]; contact: Contact }>(
    `SELECT s.state, o.lines, o.contact FROM orders o JOIN order_sagas s ON s.order_id = o.id
     WHERE o.id = $1 FOR UPDATE`,
    [orderId],
  );
  return rows[0];
}

/**
 * Applies a saga transition to the order, the saga and the finished step. Returns, when the order became
 * final, the seconds from its creation to now (for the latency histogram).
 */
export async function applyTransition(
  client: Queryable,
  orderId: string,
  transition: SagaTransition,
  replyEventId: string,
): Promise<{ settledAfterSeconds?: number }> {
  const { rows } = await client.query<{ settled_seconds: string | null }>(
    `UPDATE orders SET
       status = $2,
       total_amount_minor = COALESCE($3, total_amount_minor),
       total_currency = COALESCE($4, total_currency),
       cancel_reason_code = $5,
       cancel_reason_message = $6,
       updated_at = now(),
       settled_at = CASE WHEN $2 = 'PENDING' THEN NULL ELSE now() END
     WHERE id = $1
     RETURNING EXTRACT(EPOCH FROM settled_at - created_at) AS settled_seconds`,
    [
      orderId,
      transition.orderStatus,
      transition.total?.amountMinor ?? null,
      transition.total?.currency ?? null,
      transition.cancelReason?.code ?? null,
      transition.cancelReason?.message ?? null,
    ],
  );
  await client.query('UPDATE order_sagas SET state = $2, updated_at = now() WHERE order_id = $1', [
    orderId,
    transition.to,
  ]);
  await client.query(
    `UPDATE order_saga_steps SET status = $3, finished_at = now(), reply_event_id = $4
     WHERE order_id = $1 AND step = $2 AND status = 'STARTED'`,
    [orderId, transition.finishes.step, transition.finishes.status, replyEventId],
  );
  const seconds = rows[0]?.settled_seconds;
  return seconds === null || seconds === undefined ? {} : { settledAfterSeconds: Number(seconds) };
}
