/**
 * SQL of the Order Service. Every function takes the connection or transaction to run on, so callers
 * decide what commits together (the order and its OrderPlaced event; a settlement and its outcome event).
 */
import type { PoolClient } from '@shop/platform/db/pool';
import { platformError } from '@shop/platform/errors';
import type { OutboxMessage } from '@shop/platform/outbox/outbox-writer';
import type { CancelReason, Contact, Money, OrderLine, OrderStatus } from '../domain/order.ts';
import type { OpenStep, SagaChange, SagaSnapshot, SagaState, SagaStep, StepStatus } from '../domain/order-saga.ts';
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

/** The outbox row of an event, encoded by the platform's event writer (`EventWriter.encode`). */
export type OutboxRow = OutboxMessage;

export type PlacementResult =
  | { readonly placed: true }
  | { readonly placed: false; readonly orderId: string; readonly fingerprint: string };

/**
 * Places an order in ONE statement (so one round trip and, run on the pool outside an explicit transaction,
 * one implicit transaction): the idempotency key (when given), the PENDING order with its lines, its saga and
 * the saga's first step, and the OrderPlaced outbox row. Either all of them commit or none does.
 *
 * With a key, the claim is `INSERT … ON CONFLICT DO UPDATE … RETURNING`: a concurrent request holding the
 * same key makes this statement wait until it ends; if it committed, the conflicting row is locked and
 * returned (DO UPDATE returns the row even though this statement's snapshot predates it, which a plain
 * sub-select would not see), and nothing else is written (every other insert reads `placed`, which is empty
 * when the key belongs to another order); if it rolled back, this request claims the key. The update is a
 * no-op on the holder's values, so the key keeps naming the first order.
 */
export async function placeOrderAtomically(
  db: Queryable,
  order: {
    id: string;
    command: PlaceOrderCommand;
    saga: { state: SagaState; step: SagaStep; deadlineAt: Date };
    idempotency?: { key: string; fingerprint: string };
    /** OrderPlaced: its event id is recorded as the first step's request. */
    placed: OutboxRow;
  },
): Promise<PlacementResult> {
  const { id, command, saga, idempotency, placed } = order;
  const { rows } = await db.query<{
    placed_id: string | null;
    holder_id: string | null;
    holder_fingerprint: string | null;
  }>(
    `WITH claim AS (
       INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id)
       SELECT $2::uuid, $9::text, $10::text, $1::uuid WHERE $9::text IS NOT NULL
       ON CONFLICT (customer_id, idempotency_key) DO UPDATE SET order_id = idempotency_keys.order_id
       RETURNING order_id, request_fingerprint
     ), placed AS (
       SELECT $1::uuid AS id WHERE NOT EXISTS (SELECT 1 FROM claim WHERE claim.order_id <> $1::uuid)
     ), new_order AS (
       INSERT INTO orders (id, customer_id, status, lines, contact, created_at, updated_at)
       SELECT id, $2::uuid, 'PENDING', $3::jsonb, $4::jsonb, now(), now() FROM placed
       RETURNING id
     ), new_saga AS (
       INSERT INTO order_sagas (order_id, state, created_at, updated_at)
       SELECT id, $5::text, now(), now() FROM placed
     ), first_step AS (
       INSERT INTO order_saga_steps (order_id, step, attempt, status, started_at, request_event_id, deadline_at)
       SELECT id, $6::text, 1, 'STARTED', now(), $7::uuid, $8::timestamptz FROM placed
     ), placed_event AS (
       INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
       SELECT $7::uuid, $11::text, $12::text, $13::text, $14::bytea, $15::jsonb FROM placed
     )
     SELECT (SELECT id FROM new_order) AS placed_id,
            (SELECT order_id FROM claim) AS holder_id,
            (SELECT request_fingerprint FROM claim) AS holder_fingerprint`,
    [
      id,
      command.customerId,
      JSON.stringify(command.lines),
      JSON.stringify(command.contact),
      saga.state,
      saga.step,
      placed.eventId,
      saga.deadlineAt,
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
      placed.eventType,
      placed.topic,
      placed.key,
      placed.payload,
      JSON.stringify(placed.headers),
    ],
  );
  const row = rows[0];
  if (row?.placed_id === id) return { placed: true };
  if (row?.holder_id == null || row.holder_fingerprint === null) {
    // Keys are never deleted, so a key that blocked the order always names its holder; fail loudly if not.
    throw platformError('PLT_UNEXPECTED', `order ${id} was neither placed nor blocked by an idempotency key`);
  }
  return { placed: false, orderId: row.holder_id, fingerprint: row.holder_fingerprint };
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

/** The saga as its decisions need it, plus what its commands and outcome events carry. */
export interface LockedSaga extends SagaSnapshot {
  readonly contact: Contact;
}

interface SagaRow {
  order_id: string;
  customer_id: string;
  status: OrderStatus;
  lines: OrderLine[];
  contact: Contact;
  total_amount_minor: string | null;
  total_currency: string | null;
  state: SagaState;
  payment_id: string | null;
  charge_expires_at: Date | null;
  captured_amount_minor: string | null;
  refund_id: string | null;
  refunded_amount_minor: string | null;
  cancel_requested_at: Date | null;
  pending_cancel_code: CancelReason['code'] | null;
  pending_cancel_message: string | null;
  resume_state: SagaState | null;
  operator_retries: number;
  open_steps: { step: SagaStep; attempt: number; deadline_at: Date | null }[];
}

function money(amountMinor: string | null, currency: string | null): Money | undefined {
  // bigint arrives as text; the contract bounds amounts to Number.MAX_SAFE_INTEGER, so Number is exact.
  return amountMinor === null || currency === null ? undefined : { amountMinor: Number(amountMinor), currency };
}

function toLockedSaga(row: SagaRow): LockedSaga {
  const total = money(row.total_amount_minor, row.total_currency);
  const captured = money(row.captured_amount_minor, row.total_currency);
  const refunded = money(row.refunded_amount_minor, row.total_currency);
  const openSteps: OpenStep[] = row.open_steps.map((open) => ({
    step: open.step,
    attempt: open.attempt,
    ...(open.deadline_at === null ? {} : { deadlineAt: new Date(open.deadline_at) }),
  }));
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    state: row.state,
    orderStatus: row.status,
    lines: row.lines,
    contact: row.contact,
    ...(total === undefined ? {} : { total }),
    ...(row.payment_id === null ? {} : { paymentId: row.payment_id }),
    ...(row.charge_expires_at === null ? {} : { chargeExpiresAt: row.charge_expires_at }),
    ...(captured === undefined ? {} : { captured }),
    ...(row.refund_id === null ? {} : { refundId: row.refund_id }),
    ...(refunded === undefined ? {} : { refunded }),
    cancelRequested: row.cancel_requested_at !== null,
    ...(row.pending_cancel_code === null || row.pending_cancel_message === null
      ? {}
      : { pendingCancelReason: { code: row.pending_cancel_code, message: row.pending_cancel_message } }),
    ...(row.resume_state === null ? {} : { resumeState: row.resume_state }),
    operatorRetries: row.operator_retries,
    openSteps,
  };
}

/**
 * Locks the order and its saga (`FOR UPDATE`) for the rest of the transaction and returns them with the
 * open step attempts. Everything that changes a saga takes this lock first (replies from the main consumer
 * and a retry tier, the deadline scanner, the customer's cancellation, an operator's retry), so inputs for
 * one order are decided one after the other, each seeing the previous one's result, and their commands are
 * written to the outbox in decision order.
 *
 * The open steps are read by a second statement, after the lock is held: under READ COMMITTED a statement
 * that waited for the lock re-reads the locked rows but not a subquery's, which would still show the steps
 * as they were before the transaction it waited for (a refund and a release answered at once would each
 * see the other still open, and the order would never be cancelled).
 */
export async function lockSaga(client: Queryable, orderId: string): Promise<LockedSaga | undefined> {
  const { rows } = await client.query<Omit<SagaRow, 'open_steps'>>(
    `SELECT o.id AS order_id, o.customer_id, o.status, o.lines, o.contact, o.total_amount_minor, o.total_currency,
            s.state, s.payment_id, s.charge_expires_at, s.captured_amount_minor, s.refund_id, s.refunded_amount_minor,
            s.cancel_requested_at, s.pending_cancel_code, s.pending_cancel_message, s.resume_state, s.operator_retries
     FROM orders o JOIN order_sagas s ON s.order_id = o.id
     WHERE o.id = $1 FOR UPDATE`,
    [orderId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const open = await client.query<SagaRow['open_steps'][number]>(
    `SELECT step, attempt, deadline_at FROM order_saga_steps WHERE order_id = $1 AND status = 'STARTED'`,
    [orderId],
  );
  return toLockedSaga({ ...row, open_steps: open.rows });
}

/** A started step attempt, with the outbox event that carries its command. */
export interface StartedAttempt {
  readonly step: SagaStep;
  readonly deadlineAt: Date;
  readonly requestEventId: string;
}

/**
 * Writes a decided change: the saga row, the order row (status, total, reason), the closed, parked and
 * started step attempts. Returns, when the order became final for the first time, the seconds from its
 * creation to now (for the latency histogram).
 */
export async function applySagaChange(
  client: Queryable,
  before: LockedSaga,
  change: SagaChange,
  /** The saga after the change (domain `sagaAfter`), computed once by the caller. */
  after: LockedSaga,
  writes: { replyEventId?: string; started: readonly StartedAttempt[] },
): Promise<{ settledAfterSeconds?: number }> {
  const reason = change.outcome?.type === 'OrderCancelled' ? change.outcome.reason : undefined;
  await client.query(
    `UPDATE order_sagas SET
       state = $2, payment_id = $3, charge_expires_at = $4, captured_amount_minor = $5, refund_id = $6,
       refunded_amount_minor = $7,
       cancel_requested_at = CASE WHEN $8::boolean THEN COALESCE(cancel_requested_at, now()) ELSE NULL END,
       pending_cancel_code = $9, pending_cancel_message = $10, resume_state = $11, operator_retries = $12,
       updated_at = now()
     WHERE order_id = $1`,
    [
      before.orderId,
      after.state,
      after.paymentId ?? null,
      after.chargeExpiresAt ?? null,
      after.captured?.amountMinor ?? null,
      after.refundId ?? null,
      after.refunded?.amountMinor ?? null,
      after.cancelRequested,
      after.pendingCancelReason?.code ?? null,
      after.pendingCancelReason?.message ?? null,
      after.resumeState ?? null,
      after.operatorRetries,
    ],
  );
  let settledAfterSeconds: number | undefined;
  if (after.orderStatus !== before.orderStatus || change.fields.total !== undefined) {
    const { rows } = await client.query<{ settled_seconds: string | null }>(
      `UPDATE orders SET
         status = $2,
         total_amount_minor = COALESCE($3, total_amount_minor),
         total_currency = COALESCE($4, total_currency),
         cancel_reason_code = COALESCE($5, cancel_reason_code),
         cancel_reason_message = COALESCE($6, cancel_reason_message),
         updated_at = now(),
         settled_at = CASE WHEN $2 = 'PENDING' THEN NULL ELSE COALESCE(settled_at, now()) END
       WHERE id = $1
       RETURNING CASE WHEN $7::boolean THEN EXTRACT(EPOCH FROM settled_at - created_at) END AS settled_seconds`,
      [
        before.orderId,
        after.orderStatus,
        change.fields.total?.amountMinor ?? null,
        change.fields.total?.currency ?? null,
        reason?.code ?? null,
        reason?.message ?? null,
        before.orderStatus === 'PENDING' && after.orderStatus !== 'PENDING',
      ],
    );
    const seconds = rows[0]?.settled_seconds;
    if (seconds !== null && seconds !== undefined) settledAfterSeconds = Number(seconds);
  }
  for (const closed of change.closes) {
    await client.query(
      `UPDATE order_saga_steps SET status = $3, finished_at = now(), deadline_at = NULL,
         reply_event_id = CASE WHEN $3 IN ('SUCCEEDED', 'FAILED') THEN $4::uuid END
       WHERE order_id = $1 AND step = $2 AND status = 'STARTED'`,
      [before.orderId, closed.step, closed.status satisfies StepStatus, writes.replyEventId ?? null],
    );
  }
  for (const parked of change.parks) {
    await client.query(
      `UPDATE order_saga_steps SET deadline_at = NULL WHERE order_id = $1 AND step = $2 AND status = 'STARTED'`,
      [before.orderId, parked],
    );
  }
  for (const started of writes.started) {
    await client.query(
      `INSERT INTO order_saga_steps (order_id, step, attempt, status, started_at, request_event_id, deadline_at)
       SELECT $1, $2, COALESCE(max(attempt), 0) + 1, 'STARTED', now(), $3, $4
       FROM order_saga_steps WHERE order_id = $1 AND step = $2`,
      [before.orderId, started.step, started.requestEventId, started.deadlineAt],
    );
  }
  return settledAfterSeconds === undefined ? {} : { settledAfterSeconds };
}

/** One attempt of a saga step, as GET /orders/{id} shows it. */
export interface SagaStepRecord {
  readonly step: SagaStep;
  readonly attempt: number;
  readonly status: StepStatus;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  readonly deadlineAt?: Date;
}

/** The saga's state and every step attempt, oldest first. */
export async function findSaga(
  db: Queryable,
  orderId: string,
): Promise<{ state: SagaState; refunded?: number; steps: SagaStepRecord[] } | undefined> {
  const { rows } = await db.query<{
    state: SagaState;
    refunded_amount_minor: string | null;
    steps: {
      step: SagaStep;
      attempt: number;
      status: StepStatus;
      started_at: string;
      finished_at: string | null;
      deadline_at: string | null;
    }[];
  }>(
    `SELECT s.state, s.refunded_amount_minor,
            COALESCE((SELECT json_agg(json_build_object('step', st.step, 'attempt', st.attempt, 'status', st.status,
                        'started_at', st.started_at, 'finished_at', st.finished_at, 'deadline_at', st.deadline_at)
                        ORDER BY st.started_at, st.attempt)
                      FROM order_saga_steps st WHERE st.order_id = s.order_id), '[]'::json) AS steps
     FROM order_sagas s WHERE s.order_id = $1`,
    [orderId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    state: row.state,
    ...(row.refunded_amount_minor === null ? {} : { refunded: Number(row.refunded_amount_minor) }),
    steps: row.steps.map((step) => ({
      step: step.step,
      attempt: step.attempt,
      status: step.status,
      startedAt: new Date(step.started_at),
      ...(step.finished_at === null ? {} : { finishedAt: new Date(step.finished_at) }),
      ...(step.deadline_at === null ? {} : { deadlineAt: new Date(step.deadline_at) }),
    })),
  };
}

/** Open step attempts whose deadline has passed, oldest deadline first. */
export async function findOverdueSteps(db: Queryable, limit: number): Promise<{ orderId: string; step: SagaStep }[]> {
  const { rows } = await db.query<{ order_id: string; step: SagaStep }>(
    `SELECT order_id, step FROM order_saga_steps
     WHERE status = 'STARTED' AND deadline_at IS NOT NULL AND deadline_at <= now()
     ORDER BY deadline_at LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ orderId: row.order_id, step: row.step }));
}
