/**
 * SQL for reservations and their lines. The order id is the primary key: inserting a second row for
 * an order is impossible, and `insertReservation` reports it instead of failing, so the caller can
 * treat a second OrderPlaced for a decided order as the duplicate it is.
 */
import type { PoolClient } from '@shop/platform/db/pool';
import type { Money } from '../domain/money.ts';
import type { LineFailure } from '../domain/reservation-decision.ts';
import type { ReservationStatus } from '../domain/reservation-lifecycle.ts';
import { STOCK_LOCK_KEY } from './product-repository.ts';
import { type Queryable, safeInteger } from './queryable.ts';

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

/** The status of the order's reservation, read without locking (a fast duplicate check). */
export async function findReservationStatus(db: Queryable, orderId: string): Promise<ReservationStatus | undefined> {
  const result = await db.query<{ status: ReservationStatus }>('SELECT status FROM reservations WHERE order_id = $1', [
    orderId,
  ]);
  return result.rows[0]?.status;
}

/**
 * Inserts the reservation and its lines; false (and nothing written) when the order already has one.
 * A concurrent insert for the same order makes this wait for that transaction, then report false.
 */
export async function insertReservation(client: PoolClient, reservation: NewReservation): Promise<boolean> {
  const lines = reservation.lines;
  // One statement (a round trip is the cost under load): the lines are inserted only when the head was.
  const result = await client.query<{ inserted: string }>(
    `WITH head AS (
       INSERT INTO reservations (order_id, status, total_minor, currency, created_by_event_id, committed_at, released_at)
       VALUES ($1, $2, $3, $4, $5,
               CASE WHEN $2 = 'COMMITTED' THEN now() END,
               CASE WHEN $2 = 'RELEASED' THEN now() END)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING order_id
     ), lines AS (
       INSERT INTO reservation_lines
         (order_id, line_no, sku, quantity, unit_price_minor, currency, failure_reason, available_at_attempt)
       SELECT head.order_id, l.line_no - 1, l.sku, l.quantity, l.price, l.currency, l.reason, l.available
       FROM head CROSS JOIN unnest($6::text[], $7::integer[], $8::bigint[], $9::text[], $10::text[], $11::integer[])
         WITH ORDINALITY AS l(sku, quantity, price, currency, reason, available, line_no)
     )
     SELECT count(*) AS inserted FROM head`,
    [
      reservation.orderId,
      reservation.status,
      reservation.total?.amountMinor ?? null,
      reservation.total?.currency ?? null,
      reservation.createdByEventId,
      lines.map((line) => line.sku),
      lines.map((line) => line.quantity),
      lines.map((line) => line.unitPrice?.amountMinor ?? null),
      lines.map((line) => line.unitPrice?.currency ?? null),
      lines.map((line) => line.failure?.reason ?? null),
      lines.map((line) => line.failure?.available ?? null),
    ],
  );
  return Number(result.rows[0]?.inserted ?? 0) > 0;
}

/** What a commit or release needs: the status and the held lines, with the reservation row locked. */
export interface HeldReservation {
  status: ReservationStatus;
  lines: { sku: string; quantity: number }[];
}

/**
 * Locks the order's reservation row (so two commands for one order apply one after the other) and
 * reads its lines; undefined when the order has none. Takes the stock lock (STOCK_LOCK_KEY) first, in the
 * same statement, as every stock-moving transaction does before its first row lock: with several orders in
 * one transaction, a reservation row locked before the stock lock could close a cycle with a transaction
 * that holds the stock lock and waits for this order's row. The lines never change once written (they are
 * inserted with the head), so reading them with the statement's snapshot is safe.
 */
export async function lockReservation(client: PoolClient, orderId: string): Promise<HeldReservation | undefined> {
  const result = await client.query<{ status: ReservationStatus; lines: { sku: string; quantity: number }[] }>(
    `WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock($2) AS locked)
     SELECT r.status,
            COALESCE((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.line_no)
                      FROM reservation_lines l WHERE l.order_id = r.order_id), '[]'::json) AS lines
     FROM reservations r
     WHERE r.order_id = $1 AND EXISTS (SELECT 1 FROM gate)
     FOR UPDATE OF r`,
    [orderId, STOCK_LOCK_KEY],
  );
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return { status: row.status, lines: row.lines };
}

/** Moves a locked reservation to `next`, stamping the time of the transition. */
export async function setReservationStatus(
  client: PoolClient,
  orderId: string,
  next: 'COMMITTED' | 'RELEASED',
): Promise<void> {
  await client.query(
    `UPDATE reservations SET status = $2, updated_at = now(),
       committed_at = CASE WHEN $2 = 'COMMITTED' THEN now() ELSE committed_at END,
       released_at = CASE WHEN $2 = 'RELEASED' THEN now() ELSE released_at END
     WHERE order_id = $1`,
    [orderId, next],
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
