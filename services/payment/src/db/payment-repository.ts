/** Reads and writes of the payments and refunds tables (see migrations/0001_payments.sql). */
import type { Pool, PoolClient } from '@shop/platform/db/pool';
import type { Money } from '../domain/money.ts';
import type { PaymentDeclineReason } from '../domain/simulated-decision.ts';

type Queryable = Pick<Pool | PoolClient, 'query'>;

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
 * Serialises every command about one payment id until the transaction ends, whether or not a payment
 * row exists yet: a charge or refund from the main topic and one from a retry tier then apply one after
 * the other, and the second sees what the first recorded (no unique-key race, no double reply work).
 */
export async function lockPaymentId(client: PoolClient, paymentId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`payment:${paymentId}`]);
}

/** The payment with this id, if one was recorded (call lockPaymentId first when acting on it). */
export async function findPayment(db: Queryable, paymentId: string): Promise<PaymentRecord | undefined> {
  const result = await db.query<PaymentRow>('SELECT * FROM payments WHERE payment_id = $1', [paymentId]);
  const row = result.rows[0];
  return row === undefined ? undefined : toPayment(row);
}

export interface NewPayment {
  paymentId: string;
  orderId: string;
  customerId: string;
  status: 'CAPTURED' | 'DECLINED';
  amount: Money;
  declineReason: PaymentDeclineReason | null;
  providerReference: string | null;
  causedByEventId: string;
}

/** Inserts the payment unless one with its id exists; returns the row that is there afterwards. */
export async function recordPayment(db: Queryable, payment: NewPayment): Promise<PaymentRecord> {
  await db.query(
    `INSERT INTO payments (payment_id, order_id, customer_id, status, amount_minor, currency, decline_reason,
                           provider_reference, caused_by_event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (payment_id) DO NOTHING`,
    [
      payment.paymentId,
      payment.orderId,
      payment.customerId,
      payment.status,
      payment.amount.amountMinor,
      payment.amount.currency,
      payment.declineReason,
      payment.providerReference,
      payment.causedByEventId,
    ],
  );
  const stored = await findPayment(db, payment.paymentId);
  if (stored === undefined) throw new Error(`payment ${payment.paymentId} missing right after its insert`);
  return stored;
}

export async function findRefund(db: Queryable, refundId: string): Promise<RefundRecord | undefined> {
  const result = await db.query<RefundRow>('SELECT * FROM refunds WHERE refund_id = $1', [refundId]);
  const row = result.rows[0];
  return row === undefined ? undefined : toRefund(row);
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

/** Records the refund and adds its amount to the payment's refunded total (when the payment is known). */
export async function recordRefund(db: Queryable, refund: NewRefund): Promise<void> {
  await db.query(
    `INSERT INTO refunds (refund_id, payment_id, order_id, requested_minor, amount_minor, currency,
                          provider_reference, caused_by_event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      refund.refundId,
      refund.paymentId,
      refund.orderId,
      refund.requestedMinor,
      refund.amount.amountMinor,
      refund.amount.currency,
      refund.providerReference,
      refund.causedByEventId,
    ],
  );
  if (refund.amount.amountMinor > 0) {
    await db.query('UPDATE payments SET refunded_minor = refunded_minor + $2 WHERE payment_id = $1', [
      refund.paymentId,
      refund.amount.amountMinor,
    ]);
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
