import type { Money } from '@shop/contracts';
/**
 * The saga's persistence (implements the domain's `SagaStore` port): locking sagas with their open step
 * attempts, writing a transaction's decided changes in one statement, and finding overdue attempts. Every
 * function takes the connection or transaction to run on; the application decides what commits together.
 */
import { type OutboxMessage, platformError, type Queryable } from '@shop/platform';
import type { CancelReason, Contact, OrderLine, OrderStatus } from '../domain/order.ts';
import type { OpenStep, SagaState, SagaStep } from '../domain/saga/saga-model.ts';
import type { LockedSaga, LockedSagas, OverdueStep, SagaStore, SagaWrites } from '../domain/saga/saga-store.ts';

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
 * once would each see the other still open, and the order would never be cancelled). The same statement
 * reads the database's clock (`statement_timestamp()`, after the locks): the `now` of the decisions.
 */
export async function lockSagas(client: Queryable, orderIds: readonly string[]): Promise<LockedSagas> {
  const sagas = new Map<string, LockedSaga>();
  const { rows } =
    orderIds.length === 0
      ? { rows: [] }
      : await client.query<Omit<SagaRow, 'open_steps'>>({
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
  // Always run, even when nothing was locked: it reads the database's clock (the decisions' `now`) after
  // every lock is held. Its one-row left join answers one row when no step is open.
  const open = await client.query<{
    now: Date;
    order_id: string | null;
    step: SagaStep | null;
    attempt: number | null;
    deadline_at: Date | null;
  }>({
    name: 'order-open-steps',
    text: `SELECT statement_timestamp() AS now, st.order_id, st.step, st.attempt, st.deadline_at
     FROM (VALUES (1)) AS one (x)
     LEFT JOIN order_saga_steps st ON st.order_id = ANY($1::uuid[]) AND st.status = 'STARTED'`,
    values: [rows.map((row) => row.order_id)],
  });
  const now = open.rows[0]?.now;
  if (now === undefined) throw platformError('PLT_UNEXPECTED', 'the open-steps statement returned no row');
  const openByOrder = new Map<string, SagaRow['open_steps']>();
  for (const step of open.rows) {
    if (step.order_id === null || step.step === null || step.attempt === null) continue;
    const list = openByOrder.get(step.order_id) ?? [];
    list.push({ step: step.step, attempt: step.attempt, deadline_at: step.deadline_at });
    openByOrder.set(step.order_id, list);
  }
  for (const row of rows) {
    sagas.set(row.order_id, toLockedSaga({ ...row, open_steps: openByOrder.get(row.order_id) ?? [] }));
  }
  return { sagas, now };
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
export async function writeSagaChanges(
  client: Queryable,
  writes: SagaWrites<OutboxMessage>,
): Promise<Map<string, number>> {
  const settled = new Map<string, number>();
  const { sagas, orders, stepUpdates, startedAttempts: stepInserts, outbox } = writes;
  if (
    sagas.length === 0 &&
    orders.length === 0 &&
    stepUpdates.length === 0 &&
    stepInserts.length === 0 &&
    outbox.length === 0
  ) {
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

/** Open step attempts whose deadline has passed by the database's clock, oldest deadline first. */
export async function findOverdueSteps(db: Queryable, limit: number): Promise<OverdueStep[]> {
  const { rows } = await db.query<{ order_id: string; step: SagaStep }>(
    `SELECT order_id, step FROM order_saga_steps
     WHERE status = 'STARTED' AND deadline_at IS NOT NULL AND deadline_at <= now()
     ORDER BY deadline_at LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ orderId: row.order_id, step: row.step }));
}

/** The port as the application uses it. */
export const sagaRepository = {
  lockSagas,
  writeSagaChanges,
  findOverdueSteps,
} satisfies SagaStore<Queryable, OutboxMessage>;
