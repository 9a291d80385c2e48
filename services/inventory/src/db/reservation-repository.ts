/**
 * SQL for reservations and their lines, in sets (one statement for a whole batch). The order id is the
 * primary key: inserting a second row for an order is impossible, and `insertReservations` reports which
 * rows it inserted instead of failing, so the caller can tell a lost race from a decision.
 */

import type { Money } from '@shop/contracts';
import type { PoolClient, Queryable } from '@shop/platform';
import type { LineFailure } from '../domain/reservation-decision.ts';
import type { ReservationStatus } from '../domain/reservation-lifecycle.ts';
import { safeInteger } from './safe-integer.ts';

/** One requested line as recorded: priced when stock was held, with its failure when it failed. */
export interface ReservationLine {
  sku: string;
  quantity: number;
  unitPrice?: Money;
  failure?: { reason: LineFailure['reason']; available?: number };
}

export interface Reservation {
  orderId: string;
  status: ReservationStatus;
  lines: ReservationLine[];
  total?: Money;
  createdByEventId: string;
  createdAt: Date;
  committedAt?: Date;
  releasedAt?: Date;
  updatedAt: Date;
}

export interface NewReservation {
  orderId: string;
  status: ReservationStatus;
  lines: readonly ReservationLine[];
  total?: Money;
  createdByEventId: string;
}

/**
 * The statuses of the orders' reservations that exist, read without locking (the duplicate check of a
 * batch). A reservation inserted by a transaction that commits after this read is not seen: the insert
 * of insertReservations then reports it.
 */
export async function findReservationStatuses(
  db: Queryable,
  orderIds: readonly string[],
): Promise<Map<string, ReservationStatus>> {
  if (orderIds.length === 0) return new Map();
  const result = await db.query<{ order_id: string; status: ReservationStatus }>(
    'SELECT order_id, status FROM reservations WHERE order_id = ANY($1::uuid[])',
    [[...new Set(orderIds)]],
  );
  return new Map(result.rows.map((row) => [row.order_id, row.status]));
}

/**
 * Inserts the reservations and their lines with one statement; returns the order ids inserted. An order
 * that already has a reservation is skipped (nothing of it written). Rows are inserted in order id order,
 * as every batch inserts them: two transactions inserting overlapping sets of new orders then wait on the
 * first contested key in the same order and cannot deadlock; a conflict with a transaction still in
 * progress waits for its end. At most one reservation per order id in `reservations`.
 */
export async function insertReservations(
  client: PoolClient,
  reservations: readonly NewReservation[],
): Promise<Set<string>> {
  if (reservations.length === 0) return new Set();
  const heads = [...reservations].sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  const lines = heads.flatMap((reservation) =>
    reservation.lines.map((line, lineNo) => ({ orderId: reservation.orderId, lineNo, line })),
  );
  // The lines are inserted only for the heads that were (the join with `head`), in the same statement.
  const result = await client.query<{ order_id: string }>(
    `WITH head AS (
       INSERT INTO reservations (order_id, status, total_minor, currency, created_by_event_id, committed_at, released_at)
       SELECT h.order_id, h.status, h.total_minor, h.currency, h.event_id,
              CASE WHEN h.status = 'COMMITTED' THEN now() END,
              CASE WHEN h.status = 'RELEASED' THEN now() END
       FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::uuid[]) WITH ORDINALITY
         AS h(order_id, status, total_minor, currency, event_id, position)
       ORDER BY h.position
       ON CONFLICT (order_id) DO NOTHING
       RETURNING order_id
     ), lines AS (
       INSERT INTO reservation_lines
         (order_id, line_no, sku, quantity, unit_price_minor, currency, failure_reason, available_at_attempt)
       SELECT l.order_id, l.line_no, l.sku, l.quantity, l.price, l.currency, l.reason, l.available
       FROM unnest($6::uuid[], $7::smallint[], $8::text[], $9::integer[], $10::bigint[], $11::text[], $12::text[],
                   $13::integer[]) AS l(order_id, line_no, sku, quantity, price, currency, reason, available)
       JOIN head ON head.order_id = l.order_id
     )
     SELECT order_id::text FROM head`,
    [
      heads.map((head) => head.orderId),
      heads.map((head) => head.status),
      heads.map((head) => head.total?.amountMinor ?? null),
      heads.map((head) => head.total?.currency ?? null),
      heads.map((head) => head.createdByEventId),
      lines.map((entry) => entry.orderId),
      lines.map((entry) => entry.lineNo),
      lines.map((entry) => entry.line.sku),
      lines.map((entry) => entry.line.quantity),
      lines.map((entry) => entry.line.unitPrice?.amountMinor ?? null),
      lines.map((entry) => entry.line.unitPrice?.currency ?? null),
      lines.map((entry) => entry.line.failure?.reason ?? null),
      lines.map((entry) => entry.line.failure?.available ?? null),
    ],
  );
  return new Set(result.rows.map((row) => row.order_id));
}

/** What a commit or release needs: the status and the held lines, with the reservation row locked. */
export interface HeldReservation {
  status: ReservationStatus;
  lines: { sku: string; quantity: number }[];
}

/**
 * Locks the reservation rows of `orderIds` that exist (order id order), then the product rows their held
 * units are in (SKU order), in one statement, and returns the reservations by order id with their lines.
 *
 * Deadlock freedom without a global lock rests on one rule every stock-moving batch follows: all its row locks
 * are taken in its first statement, in one global order (reservation rows by order id, then product rows by
 * SKU); after it, the batch first inserts the reservations it did not find (in order id order, so two batches
 * inserting the same new order ids wait for each other on the first one and cannot form a cycle), and only
 * then writes rows it holds. A reserve batch locks only products; it can wait for a commit or release batch
 * only on a reservation that batch inserted or changed, and such a batch is past its lock statement and does
 * not wait for the reserve batch any more, except on an insert, where the order id order holds. (A batch that
 * locked its reservations, wrote, and only then locked products, or locked order by order, could wait for
 * products while holding what another batch waits for.)
 *
 * The gate (`SELECT count(*) FROM held`, an uncorrelated subquery and thus a one-time filter evaluated
 * before the first product row is read) reads `held` to its end, so every reservation row is locked before
 * any product row. A reservation changed by a concurrent transaction while we waited for its lock is
 * returned as that transaction left it. The lines never change once written (they are inserted with the
 * head), so reading them with the statement's snapshot is safe; only RESERVED and COMMITTED reservations
 * hold units, so only their products are locked.
 */
export async function lockReservations(
  client: PoolClient,
  orderIds: readonly string[],
): Promise<Map<string, HeldReservation>> {
  if (orderIds.length === 0) return new Map();
  const result = await client.query<{
    order_id: string;
    status: ReservationStatus;
    lines: { sku: string; quantity: number }[];
  }>(
    `WITH held AS MATERIALIZED (
       SELECT r.order_id, r.status FROM reservations r
       WHERE r.order_id = ANY($1::uuid[])
       ORDER BY r.order_id
       FOR UPDATE OF r
     ), stock AS MATERIALIZED (
       SELECT p.sku FROM products p
       WHERE (SELECT count(*) FROM held) >= 0
         AND p.sku IN (SELECT l.sku FROM reservation_lines l JOIN held h ON h.order_id = l.order_id
                       WHERE h.status IN ('RESERVED', 'COMMITTED'))
       ORDER BY p.sku
       FOR UPDATE OF p
     )
     SELECT h.order_id::text, h.status,
            COALESCE((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.line_no)
                      FROM reservation_lines l WHERE l.order_id = h.order_id), '[]'::json) AS lines
     FROM held h
     WHERE (SELECT count(*) FROM stock) >= 0`,
    [[...new Set(orderIds)]],
  );
  return new Map(result.rows.map((row) => [row.order_id, { status: row.status, lines: row.lines }]));
}

/** The final status of one locked reservation after a batch, and which transitions the batch made. */
export interface ReservationTransition {
  orderId: string;
  status: 'COMMITTED' | 'RELEASED';
  committed: boolean;
  released: boolean;
}

/** Moves locked reservations to their new status with one statement, stamping each transition's time. */
export async function setReservationStatuses(
  client: PoolClient,
  transitions: readonly ReservationTransition[],
): Promise<void> {
  if (transitions.length === 0) return;
  await client.query(
    `UPDATE reservations r SET status = t.status, updated_at = now(),
       committed_at = CASE WHEN t.committed THEN now() ELSE r.committed_at END,
       released_at = CASE WHEN t.released THEN now() ELSE r.released_at END
     FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::boolean[]) AS t(order_id, status, committed, released)
     WHERE r.order_id = t.order_id`,
    [
      transitions.map((transition) => transition.orderId),
      transitions.map((transition) => transition.status),
      transitions.map((transition) => transition.committed),
      transitions.map((transition) => transition.released),
    ],
  );
}

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  total_minor: string | null;
  currency: string | null;
  created_by_event_id: string;
  created_at: Date;
  committed_at: Date | null;
  released_at: Date | null;
  updated_at: Date;
}

interface LineRow {
  sku: string;
  quantity: number;
  unit_price_minor: string | null;
  currency: string | null;
  failure_reason: LineFailure['reason'] | null;
  available_at_attempt: number | null;
}

/** The whole reservation of an order, lines in order; undefined when there is none. */
export async function findReservation(db: Queryable, orderId: string): Promise<Reservation | undefined> {
  const head = await db.query<ReservationRow>(
    `SELECT order_id, status, total_minor::text AS total_minor, currency, created_by_event_id, created_at,
            committed_at, released_at, updated_at
     FROM reservations WHERE order_id = $1`,
    [orderId],
  );
  const row = head.rows[0];
  if (row === undefined) return undefined;
  const lines = await db.query<LineRow>(
    `SELECT sku, quantity, unit_price_minor::text AS unit_price_minor, currency, failure_reason, available_at_attempt
     FROM reservation_lines WHERE order_id = $1 ORDER BY line_no`,
    [orderId],
  );
  return {
    orderId: row.order_id,
    status: row.status,
    lines: lines.rows.map(toLine),
    ...(row.total_minor === null || row.currency === null
      ? {}
      : { total: { amountMinor: safeInteger(row.total_minor, 'total_minor'), currency: row.currency } }),
    createdByEventId: row.created_by_event_id,
    createdAt: row.created_at,
    ...(row.committed_at === null ? {} : { committedAt: row.committed_at }),
    ...(row.released_at === null ? {} : { releasedAt: row.released_at }),
    updatedAt: row.updated_at,
  };
}

function toLine(row: LineRow): ReservationLine {
  return {
    sku: row.sku,
    quantity: row.quantity,
    ...(row.unit_price_minor === null || row.currency === null
      ? {}
      : { unitPrice: { amountMinor: safeInteger(row.unit_price_minor, 'unit_price_minor'), currency: row.currency } }),
    ...(row.failure_reason === null
      ? {}
      : {
          failure: {
            reason: row.failure_reason,
            ...(row.available_at_attempt === null ? {} : { available: row.available_at_attempt }),
          },
        }),
  };
}
