import type { Money } from '@shop/contracts';
/**
 * Reads of orders as the API shows them: one order with its saga, a customer's orders page by page. Each is
 * one statement on whatever connection it is given (the pool: reads need no transaction).
 */

import type { Queryable } from '@shop/platform';
import type { CancelReason, OrderLine, OrderStatus } from '../domain/order.ts';
import type { SagaState, SagaStep, StepStatus } from '../domain/saga/saga-model.ts';

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

/** Whether order `id` exists and belongs to `customerId` (a valid `before` cursor). */
export async function isCustomersOrder(db: Queryable, id: string, customerId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM orders WHERE id = $1 AND customer_id = $2', [id, customerId]);
  return rowCount === 1;
}

/** Whether order `id` exists (a valid `before` cursor of a listing across customers). */
export async function orderExists(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM orders WHERE id = $1', [id]);
  return rowCount === 1;
}

/**
 * Up to `limit` orders, newest first; with `before`, only those listed after that order (older, or as old
 * with a smaller id), which makes pages stable while new orders arrive. One customer's (`customerId`),
 * and/or those in an order status and/or a saga state, of every customer when none is named. A listing by
 * state is an operator's: no index serves it (one on `orders.status` would cost every settlement its HOT
 * update), so it scans; the console asks for one page at a time. The statement is unnamed, so PostgreSQL
 * plans it with its values and a customer's listing keeps the customer's index.
 */
export async function listOrders(
  db: Queryable,
  query: { status?: OrderStatus; sagaState?: SagaState; customerId?: string; limit: number; before?: string },
): Promise<OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders o
     WHERE ($4::text IS NULL OR o.status = $4)
       AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM order_sagas s WHERE s.order_id = o.id AND s.state = $5))
       AND ($1::uuid IS NULL OR o.customer_id = $1)
       AND ($3::uuid IS NULL OR (o.created_at, o.id) < (SELECT c.created_at, c.id FROM orders c WHERE c.id = $3))
     ORDER BY o.created_at DESC, o.id DESC
     LIMIT $2`,
    [query.customerId ?? null, query.limit, query.before ?? null, query.status ?? null, query.sagaState ?? null],
  );
  return rows.map(toRecord);
}

/** How many sagas are in each state (states with none are absent). */
export async function countSagasByState(db: Queryable): Promise<Map<SagaState, number>> {
  const { rows } = await db.query<{ state: SagaState; n: string }>(
    'SELECT state, count(*) AS n FROM order_sagas GROUP BY state',
  );
  return new Map(rows.map((row) => [row.state, Number(row.n)]));
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

type OrderWithSagaRow = OrderRow & {
  saga_state: SagaState | null;
  refunded_amount_minor: string | null;
  steps: StepJson[] | null;
};

/**
 * Orders with their sagas in ONE statement (one round trip, and one snapshot per order: the saga shown is the
 * one of the status shown). Long polls read each order at least twice, and many at once (a settling batch wakes
 * all its waiters), so the reads of many orders share one statement; it is a named statement, so each
 * connection parses and plans it once.
 */
export async function findOrdersWithSagas(db: Queryable, ids: readonly string[]): Promise<Map<string, OrderWithSaga>> {
  const { rows } = await db.query<OrderWithSagaRow>({
    name: 'order-find-with-saga-many',
    text: `SELECT ${ORDER_COLUMNS}, s.state AS saga_state, s.refunded_amount_minor,
                  (SELECT json_agg(json_build_object('step', st.step, 'attempt', st.attempt, 'status', st.status,
                            'started_at', st.started_at, 'finished_at', st.finished_at, 'deadline_at', st.deadline_at)
                            ORDER BY st.started_at, st.attempt)
                   FROM order_saga_steps st WHERE st.order_id = s.order_id) AS steps
           FROM orders o LEFT JOIN order_sagas s ON s.order_id = o.id
           WHERE o.id = ANY($1::uuid[])`,
    values: [ids],
  });
  return new Map(rows.map((row) => [row.id, toOrderWithSaga(row)]));
}

/** The order and its saga, or `undefined` when there is no such order. */
export async function findOrderWithSaga(db: Queryable, id: string): Promise<OrderWithSaga | undefined> {
  return (await findOrdersWithSagas(db, [id])).get(id);
}

function toOrderWithSaga(row: OrderWithSagaRow): OrderWithSaga {
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
