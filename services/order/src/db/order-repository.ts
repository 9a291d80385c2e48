/**
 * SQL of the Order Service. Every function takes the connection or transaction to run on, so callers
 * decide what commits together (the order and its OrderPlaced event; a settlement and its outcome event).
 */

import type { Money } from '@shop/contracts';
import { type OutboxMessage, platformError, type Queryable } from '@shop/platform';
import type { CancelReason, Contact, OrderLine, OrderStatus } from '../domain/order.ts';
import type { OpenStep, SagaSnapshot, SagaState, SagaStep, StepStatus } from '../domain/order-saga.ts';
import type { PlaceOrderCommand } from '../domain/place-order.ts';

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

/** An order to place, with its saga's first step and its OrderPlaced outbox row. */
export interface NewOrder {
  readonly id: string;
  readonly command: PlaceOrderCommand;
  readonly deadlineAt: Date;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
  /** OrderPlaced: its event id is recorded as the first step's request. */
  readonly placed: OutboxRow;
}

/**
 * Places orders in ONE statement (one round trip and, run on the pool outside an explicit transaction, one
 * implicit transaction): for each, the idempotency key (when given), the PENDING order with its lines, its saga
 * in `saga.state` with the first step `saga.step`, and the OrderPlaced outbox row. All of them commit or none.
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
export async function placeOrders(
  db: Queryable,
  saga: { state: SagaState; step: SagaStep },
  orders: readonly NewOrder[],
): Promise<PlacementResult[]> {
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
                            $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::jsonb[])
         WITH ORDINALITY AS i(id, customer_id, lines, contact, idempotency_key, fingerprint, event_id, deadline_at,
                              event_type, topic, message_key, payload, headers, seq)
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
       SELECT id, $14::text, now(), now() FROM placed ORDER BY seq
     ), first_step AS (
       INSERT INTO order_saga_steps (order_id, step, attempt, status, started_at, request_event_id, deadline_at)
       SELECT id, $15::text, 1, 'STARTED', now(), event_id, deadline_at FROM placed ORDER BY seq
     ), placed_event AS (
       INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
       SELECT event_id, event_type, topic, message_key, payload, headers FROM placed ORDER BY seq
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
      orders.map((order) => order.deadlineAt),
      orders.map((order) => order.placed.eventType),
      orders.map((order) => order.placed.topic),
      orders.map((order) => order.placed.key),
      orders.map((order) => order.placed.payload),
      orders.map((order) => JSON.stringify(order.placed.headers)),
      saga.state,
      saga.step,
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
 * Locks the orders and sagas of `orderIds` (`FOR UPDATE`) for the rest of the transaction and returns them,
 * by order id, with their open step attempts; ids without an order are absent. Everything that changes a
 * saga takes this lock first (the reply consumer and its retry tiers, the deadline scanner, the customer's
 * cancellation, an operator's retry), so inputs for one order are decided one after the other, each seeing
 * the previous one's result, and their commands are written to the outbox in decision order.
 *
 * Rows are locked in order id order (ORDER BY is applied before the locking clause), whatever the order of
 * `orderIds`: two transactions locking overlapping sets wait for each other instead of deadlocking.
 *
 * The open steps are read by a second statement, after every lock is held: under READ COMMITTED a statement
 * that waited for a lock re-reads the locked rows but not a sub-select's or another table's rows, which would
 * still show the steps as they were before the transaction it waited for (a refund and a release answered at
 * once would each see the other still open, and the order would never be cancelled).
 */
export async function lockSagas(client: Queryable, orderIds: readonly string[]): Promise<Map<string, LockedSaga>> {
  const locked = new Map<string, LockedSaga>();
  if (orderIds.length === 0) return locked;
  const { rows } = await client.query<Omit<SagaRow, 'open_steps'>>({
    name: 'order-lock-sagas',
    text: `SELECT o.id AS order_id, o.customer_id, o.status, o.lines, o.contact, o.total_amount_minor, o.total_currency,
            s.state, s.payment_id, s.charge_expires_at, s.captured_amount_minor, s.refund_id, s.refunded_amount_minor,
            s.cancel_requested_at, s.pending_cancel_code, s.pending_cancel_message, s.resume_state, s.operator_retries
     FROM orders o JOIN order_sagas s ON s.order_id = o.id
     WHERE o.id = ANY($1::uuid[])
     ORDER BY o.id
     FOR UPDATE`,
    values: [[...new Set(orderIds)]],
  });
  if (rows.length === 0) return locked;
  const open = await client.query<SagaRow['open_steps'][number] & { order_id: string }>({
    name: 'order-open-steps',
    text: `SELECT order_id, step, attempt, deadline_at FROM order_saga_steps
     WHERE order_id = ANY($1::uuid[]) AND status = 'STARTED'`,
    values: [rows.map((row) => row.order_id)],
  });
  const openByOrder = new Map<string, SagaRow['open_steps']>();
  for (const step of open.rows) {
    const list = openByOrder.get(step.order_id) ?? [];
    list.push(step);
    openByOrder.set(step.order_id, list);
  }
  for (const row of rows) {
    locked.set(row.order_id, toLockedSaga({ ...row, open_steps: openByOrder.get(row.order_id) ?? [] }));
  }
  return locked;
}

/** `lockSagas` for one order. */
export async function lockSaga(client: Queryable, orderId: string): Promise<LockedSaga | undefined> {
  return (await lockSagas(client, [orderId])).get(orderId);
}

/** The order row of a changed saga: its status and what the change set on it. */
export interface OrderWrite {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** Set when the reservation quoted it; absent: unchanged. */
  readonly total?: Money;
  /** Set when the order was cancelled; absent: unchanged. */
  readonly cancelReason?: CancelReason;
  /** True when the order left PENDING in this transaction: its settlement time is returned. */
  readonly settles: boolean;
}

/** An open attempt that this transaction closes (`status` final) or parks (`status` STARTED: no deadline). */
export interface StepUpdate {
  readonly orderId: string;
  readonly step: SagaStep;
  readonly status: StepStatus;
  /** The reply that finished it (recorded for SUCCEEDED and FAILED). */
  readonly replyEventId?: string;
}

/** An attempt started in this transaction, as it stands at its end (it may already be closed or parked). */
export interface StepInsert {
  readonly orderId: string;
  readonly step: SagaStep;
  status: StepStatus;
  readonly requestEventId: string;
  deadlineAt?: Date;
  replyEventId?: string;
}

export interface SagaWrites {
  /** Every changed saga as it is after all of this transaction's changes. */
  readonly sagas: readonly LockedSaga[];
  readonly orders: readonly OrderWrite[];
  /** At most one per (order, step): the open attempt's final update. */
  readonly stepUpdates: readonly StepUpdate[];
  /** In start order; attempts of one (order, step) are numbered in this order after the existing ones. */
  readonly stepInserts: readonly StepInsert[];
  /** The commands and outcome events, in publishing order (encoded by `EventWriter.encode`). */
  readonly outbox: readonly OutboxRow[];
}

/**
 * Writes decided changes of many sagas in ONE statement over unnest(...) arrays: the outbox rows, the sagas,
 * the orders, the open step attempts closed or parked, and the attempts started. The caller holds the
 * sagas' locks (`lockSagas`), so the attempt numbers read here are current, and the outbox rows of one order
 * take their ids in decision order.
 *
 * At most one attempt per step may be open (a unique index), so the started attempts are inserted only
 * after the closes: `step_insert` reads `step_update`'s result, which makes PostgreSQL run the update to
 * completion first (sub-statements of one WITH otherwise run in no defined order); the closed rows are then
 * deleted versions of this transaction, which the unique check does not count. Returns, for each order that
 * became final, the seconds from its creation to now (for the latency histogram).
 */
export async function writeSagaChanges(client: Queryable, writes: SagaWrites): Promise<Map<string, number>> {
  const settled = new Map<string, number>();
  const { sagas, orders, stepUpdates, stepInserts, outbox } = writes;
  if (sagas.length === 0 && orders.length === 0 && stepUpdates.length === 0 && stepInserts.length === 0) {
    return settled;
  }
  const { rows } = await client.query<{ order_id: string; settled_seconds: string }>({
    name: 'order-write-saga-changes',
    text: `WITH outbox_rows AS (
       INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
       SELECT * FROM unnest($30::uuid[], $31::text[], $32::text[], $33::text[], $34::bytea[], $35::jsonb[])
     ), saga_update AS (
       UPDATE order_sagas s SET
         state = u.state, payment_id = u.payment_id, charge_expires_at = u.charge_expires_at,
         captured_amount_minor = u.captured, refund_id = u.refund_id, refunded_amount_minor = u.refunded,
         cancel_requested_at = CASE WHEN u.cancel_requested THEN COALESCE(s.cancel_requested_at, now()) END,
         pending_cancel_code = u.pending_code, pending_cancel_message = u.pending_message,
         resume_state = u.resume_state, operator_retries = u.operator_retries, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[], $5::bigint[], $6::uuid[], $7::bigint[],
                   $8::boolean[], $9::text[], $10::text[], $11::text[], $12::integer[])
         AS u(order_id, state, payment_id, charge_expires_at, captured, refund_id, refunded, cancel_requested,
              pending_code, pending_message, resume_state, operator_retries)
       WHERE s.order_id = u.order_id
     ), order_update AS (
       UPDATE orders o SET
         status = u.status,
         total_amount_minor = COALESCE(u.total_minor, o.total_amount_minor),
         total_currency = COALESCE(u.total_currency, o.total_currency),
         cancel_reason_code = COALESCE(u.reason_code, o.cancel_reason_code),
         cancel_reason_message = COALESCE(u.reason_message, o.cancel_reason_message),
         updated_at = now(),
         settled_at = CASE WHEN u.status = 'PENDING' THEN NULL ELSE COALESCE(o.settled_at, now()) END
       FROM unnest($13::uuid[], $14::text[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::boolean[])
         AS u(order_id, status, total_minor, total_currency, reason_code, reason_message, settles)
       WHERE o.id = u.order_id
       RETURNING o.id, CASE WHEN u.settles THEN EXTRACT(EPOCH FROM o.settled_at - o.created_at) END AS settled_seconds
     ), step_update AS (
       UPDATE order_saga_steps st SET
         status = u.status,
         finished_at = CASE WHEN u.status = 'STARTED' THEN NULL ELSE now() END,
         deadline_at = NULL,
         reply_event_id = CASE WHEN u.status IN ('SUCCEEDED', 'FAILED') THEN u.reply_event_id END
       FROM unnest($20::uuid[], $21::text[], $22::text[], $23::uuid[]) AS u(order_id, step, status, reply_event_id)
       WHERE st.order_id = u.order_id AND st.step = u.step AND st.status = 'STARTED'
       RETURNING st.order_id
     ), step_insert AS (
       INSERT INTO order_saga_steps
         (order_id, step, attempt, status, started_at, finished_at, request_event_id, reply_event_id, deadline_at)
       SELECT u.order_id, u.step,
              COALESCE((SELECT max(x.attempt) FROM order_saga_steps x WHERE x.order_id = u.order_id AND x.step = u.step), 0)
                + row_number() OVER (PARTITION BY u.order_id, u.step ORDER BY u.seq),
              u.status, now(), CASE WHEN u.status = 'STARTED' THEN NULL ELSE now() END, u.request_event_id,
              CASE WHEN u.status IN ('SUCCEEDED', 'FAILED') THEN u.reply_event_id END,
              CASE WHEN u.status = 'STARTED' THEN u.deadline_at END
       FROM unnest($24::uuid[], $25::text[], $26::text[], $27::uuid[], $28::uuid[], $29::timestamptz[]) WITH ORDINALITY
         AS u(order_id, step, status, request_event_id, reply_event_id, deadline_at, seq)
       WHERE (SELECT count(*) FROM step_update) >= 0
     )
     SELECT id AS order_id, settled_seconds FROM order_update WHERE settled_seconds IS NOT NULL`,
    values: [
      sagas.map((saga) => saga.orderId),
      sagas.map((saga) => saga.state),
      sagas.map((saga) => saga.paymentId ?? null),
      sagas.map((saga) => saga.chargeExpiresAt ?? null),
      sagas.map((saga) => saga.captured?.amountMinor ?? null),
      sagas.map((saga) => saga.refundId ?? null),
      sagas.map((saga) => saga.refunded?.amountMinor ?? null),
      sagas.map((saga) => saga.cancelRequested),
      sagas.map((saga) => saga.pendingCancelReason?.code ?? null),
      sagas.map((saga) => saga.pendingCancelReason?.message ?? null),
      sagas.map((saga) => saga.resumeState ?? null),
      sagas.map((saga) => saga.operatorRetries),
      orders.map((order) => order.orderId),
      orders.map((order) => order.status),
      orders.map((order) => order.total?.amountMinor ?? null),
      orders.map((order) => order.total?.currency ?? null),
      orders.map((order) => order.cancelReason?.code ?? null),
      orders.map((order) => order.cancelReason?.message ?? null),
      orders.map((order) => order.settles),
      stepUpdates.map((update) => update.orderId),
      stepUpdates.map((update) => update.step),
      stepUpdates.map((update) => update.status),
      stepUpdates.map((update) => update.replyEventId ?? null),
      stepInserts.map((insert) => insert.orderId),
      stepInserts.map((insert) => insert.step),
      stepInserts.map((insert) => insert.status),
      stepInserts.map((insert) => insert.requestEventId),
      stepInserts.map((insert) => insert.replyEventId ?? null),
      stepInserts.map((insert) => insert.deadlineAt ?? null),
      outbox.map((row) => row.eventId),
      outbox.map((row) => row.eventType),
      outbox.map((row) => row.topic),
      outbox.map((row) => row.key),
      outbox.map((row) => row.payload),
      outbox.map((row) => JSON.stringify(row.headers)),
    ],
  });
  for (const row of rows) settled.set(row.order_id, Number(row.settled_seconds));
  return settled;
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

/** The saga behind an order as GET /orders/{id} shows it: its state and every step attempt, oldest first. */
export interface SagaRecord {
  readonly state: SagaState;
  readonly refunded?: number;
  readonly steps: readonly SagaStepRecord[];
}

/** An order with its saga (absent only for an order written without one). */
export interface OrderWithSaga extends OrderRecord {
  readonly saga?: SagaRecord;
}

interface StepJson {
  step: SagaStep;
  attempt: number;
  status: StepStatus;
  started_at: string;
  finished_at: string | null;
  deadline_at: string | null;
}

/**
 * The order and its saga in ONE statement (one round trip, and one snapshot: the saga shown is the one of the
 * status shown). Long polls run it at least twice per order, so it is a named statement: each connection
 * parses and plans it once, not on every read.
 */
export async function findOrderWithSaga(db: Queryable, id: string): Promise<OrderWithSaga | undefined> {
  const { rows } = await db.query<
    OrderRow & { saga_state: SagaState | null; refunded_amount_minor: string | null; steps: StepJson[] | null }
  >({
    name: 'order-find-with-saga',
    text: `SELECT ${ORDER_COLUMNS}, s.state AS saga_state, s.refunded_amount_minor,
                  (SELECT json_agg(json_build_object('step', st.step, 'attempt', st.attempt, 'status', st.status,
                            'started_at', st.started_at, 'finished_at', st.finished_at, 'deadline_at', st.deadline_at)
                            ORDER BY st.started_at, st.attempt)
                   FROM order_saga_steps st WHERE st.order_id = s.order_id) AS steps
           FROM orders o LEFT JOIN order_sagas s ON s.order_id = o.id
           WHERE o.id = $1`,
    values: [id],
  });
  const row = rows[0];
  if (row === undefined) return undefined;
  const order = toRecord(row);
  if (row.saga_state === null) return order;
  const saga: SagaRecord = {
    state: row.saga_state,
    ...(row.refunded_amount_minor === null ? {} : { refunded: Number(row.refunded_amount_minor) }),
    steps: (row.steps ?? []).map((step) => ({
      step: step.step,
      attempt: step.attempt,
      status: step.status,
      startedAt: new Date(step.started_at),
      ...(step.finished_at === null ? {} : { finishedAt: new Date(step.finished_at) }),
      ...(step.deadline_at === null ? {} : { deadlineAt: new Date(step.deadline_at) }),
    })),
  };
  return { ...order, saga };
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
