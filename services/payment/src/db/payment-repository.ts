/** Reads and writes of the payments and refunds tables (see migrations/0001_payments.sql). */

import type { Money } from '@shop/contracts';
import type { PoolClient, Queryable } from '@shop/platform';
import type { PaymentDeclineReason } from '../domain/simulated-decision.ts';

export interface PaymentRecord {
  paymentId: string;
  orderId: string;
  customerId: string;
  status: 'CAPTURED' | 'DECLINED';
  /** Captured amount, or the amount asked for when declined. */
  amount: Money;
  declineReason: PaymentDeclineReason | null;
  providerReference: string | null;
  refundedMinor: number;
  createdAt: Date;
}

export interface RefundRecord {
  refundId: string;
  paymentId: string;
  orderId: string;
  requestedMinor: number;
  amount: Money;
  providerReference: string | null;
  createdAt: Date;
}

interface PaymentRow {
  payment_id: string;
  order_id: string;
  customer_id: string;
  status: 'CAPTURED' | 'DECLINED';
  amount_minor: string;
  currency: string;
  decline_reason: PaymentDeclineReason | null;
  provider_reference: string | null;
  refunded_minor: string;
  created_at: Date;
}

interface RefundRow {
  refund_id: string;
  payment_id: string;
  order_id: string;
  requested_minor: string;
  amount_minor: string;
  currency: string;
  provider_reference: string | null;
  created_at: Date;
}

function toPayment(row: PaymentRow): PaymentRecord {
  return {
    paymentId: row.payment_id,
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    amount: { amountMinor: Number(row.amount_minor), currency: row.currency },
    declineReason: row.decline_reason,
    providerReference: row.provider_reference,
    refundedMinor: Number(row.refunded_minor),
    createdAt: row.created_at,
  };
}

function toRefund(row: RefundRow): RefundRecord {
  return {
    refundId: row.refund_id,
    paymentId: row.payment_id,
    orderId: row.order_id,
    requestedMinor: Number(row.requested_minor),
    amount: { amountMinor: Number(row.amount_minor), currency: row.currency },
    providerReference: row.provider_reference,
    createdAt: row.created_at,
  };
}

/**
 * Serialises every command about these payment ids until the transaction ends, whether or not a payment
 * row exists yet: a charge or refund from the main topic and one from a retry tier then apply one after
 * the other, and the second sees what the first recorded (no unique-key race, no double reply work).
 * One statement for the whole batch; the locks are taken in sorted id order, one unnest row after the
 * other, so two batches with overlapping ids never wait on each other in a cycle.
 */
export async function lockPaymentIds(client: PoolClient, paymentIds: readonly string[]): Promise<void> {
  if (paymentIds.length === 0) return;
  const keys = [...new Set(paymentIds.map((id) => `payment:${id.toLowerCase()}`))].sort();
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k', [keys]);
}

/** What is recorded for the payment and refund ids of one batch. */
export interface RecordedPayments {
  /** By lowercase payment id. */
  payments: Map<string, PaymentRecord>;
  /** By lowercase refund id. */
  refunds: Map<string, RefundRecord>;
}

/**
 * The payments and refunds recorded under these ids, in one statement. Must run as its own statement after
 * lockPaymentIds: a statement's snapshot is taken when it starts, so a read folded into the locking
 * statement could miss a row committed while it waited for a lock.
 */
export async function findPaymentsAndRefunds(
  client: PoolClient,
  paymentIds: readonly string[],
  refundIds: readonly string[],
): Promise<RecordedPayments> {
  const recorded: RecordedPayments = { payments: new Map(), refunds: new Map() };
  if (paymentIds.length === 0 && refundIds.length === 0) return recorded;
  const result = await client.query<{ kind: 'payment' | 'refund'; row: JsonRow }>(
    `SELECT 'payment' AS kind, to_jsonb(p) AS row FROM payments p WHERE p.payment_id = ANY($1::uuid[])
     UNION ALL
     SELECT 'refund', to_jsonb(r) FROM refunds r WHERE r.refund_id = ANY($2::uuid[])`,
    [paymentIds, refundIds],
  );
  for (const { kind, row } of result.rows) {
    const withDate = { ...row, created_at: new Date(row.created_at as string) };
    if (kind === 'payment') {
      const payment = toPayment(withDate as unknown as PaymentRow);
      recorded.payments.set(payment.paymentId.toLowerCase(), payment);
    } else {
      const refund = toRefund(withDate as unknown as RefundRow);
      recorded.refunds.set(refund.refundId.toLowerCase(), refund);
    }
  }
  return recorded;
}

/** A row as `to_jsonb` renders it: numbers stay numbers, timestamps become ISO strings. */
type JsonRow = Record<string, unknown>;

export interface NewPayment {
  paymentId: string;
  orderId: string;
  customerId: string;
  status: 'CAPTURED' | 'DECLINED';
  amount: Money;
  declineReason: PaymentDeclineReason | null;
  providerReference: string | null;
  /** Refunded already in the same batch (a refund that followed the charge before either was written). */
  refundedMinor: number;
  causedByEventId: string;
}

export interface NewRefund {
  refundId: string;
  paymentId: string;
  orderId: string;
  requestedMinor: number;
  amount: Money;
  providerReference: string | null;
  causedByEventId: string;
}

/** Everything one batch writes: new payments, new refunds, refunded amounts added to recorded payments. */
export interface PaymentWrites {
  payments: readonly NewPayment[];
  refunds: readonly NewRefund[];
  /** Amount to add to `refunded_minor` of payments recorded before this batch, by payment id. */
  refunded: ReadonlyMap<string, number>;
}

/**
 * Writes a batch's results in one statement. The payments are new (the caller holds their locks and read
 * none), so a conflict fails the statement instead of hiding a broken invariant; refunded amounts are
 * added only to payments recorded before the batch (a payment inserted by the same statement is not
 * visible to its UPDATE, which is why NewPayment carries its refunded amount).
 */
export async function writePaymentResults(client: PoolClient, writes: PaymentWrites): Promise<void> {
  const { payments, refunds } = writes;
  const refunded = [...writes.refunded].filter(([, delta]) => delta > 0);
  if (payments.length === 0 && refunds.length === 0 && refunded.length === 0) return;
  const result = await client.query<{ updated: string }>(
    `WITH new_payments AS (
       INSERT INTO payments (payment_id, order_id, customer_id, status, amount_minor, currency, decline_reason,
                             provider_reference, refunded_minor, caused_by_event_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                            $8::text[], $9::bigint[], $10::uuid[])
       RETURNING 1
     ), new_refunds AS (
       INSERT INTO refunds (refund_id, payment_id, order_id, requested_minor, amount_minor, currency,
                            provider_reference, caused_by_event_id)
       SELECT * FROM unnest($11::uuid[], $12::uuid[], $13::uuid[], $14::bigint[], $15::bigint[], $16::text[],
                            $17::text[], $18::uuid[])
       RETURNING 1
     ), refunded AS (
       UPDATE payments p SET refunded_minor = p.refunded_minor + d.delta
       FROM unnest($19::uuid[], $20::bigint[]) AS d(payment_id, delta)
       WHERE p.payment_id = d.payment_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM refunded)::text AS updated`,
    [
      payments.map((p) => p.paymentId),
      payments.map((p) => p.orderId),
      payments.map((p) => p.customerId),
      payments.map((p) => p.status),
      payments.map((p) => p.amount.amountMinor),
      payments.map((p) => p.amount.currency),
      payments.map((p) => p.declineReason),
      payments.map((p) => p.providerReference),
      payments.map((p) => p.refundedMinor),
      payments.map((p) => p.causedByEventId),
      refunds.map((r) => r.refundId),
      refunds.map((r) => r.paymentId),
      refunds.map((r) => r.orderId),
      refunds.map((r) => r.requestedMinor),
      refunds.map((r) => r.amount.amountMinor),
      refunds.map((r) => r.amount.currency),
      refunds.map((r) => r.providerReference),
      refunds.map((r) => r.causedByEventId),
      refunded.map(([paymentId]) => paymentId),
      refunded.map(([, delta]) => delta),
    ],
  );
  if (Number(result.rows[0]?.updated) !== refunded.length) {
    throw new Error('a payment read under its lock vanished before its refunded amount was added');
  }
}

export async function paymentsOfOrder(db: Queryable, orderId: string): Promise<PaymentRecord[]> {
  const result = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at', [
    orderId,
  ]);
  return result.rows.map(toPayment);
}

export async function refundsOfOrder(db: Queryable, orderId: string): Promise<RefundRecord[]> {
  const result = await db.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at', [orderId]);
  return result.rows.map(toRefund);
}
