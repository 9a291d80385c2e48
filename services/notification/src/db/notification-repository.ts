/**
 * SQL for the notifications table. Functions take the client to run on: the consumer's transaction for
 * the normal path, a separate transaction for recording attempts that must outlive a rollback.
 */
import type { Pool, Queryable } from '@shop/platform';
import type { ChannelKind } from '../domain/channel.ts';
import type { OutcomeType } from '../domain/outcome.ts';
import type { PlannedNotification } from '../domain/plan-notifications.ts';

/** Longest error message stored with a failed attempt. */
export const MAX_STORED_ERROR_MESSAGE_LENGTH = 500;

export type NotificationStatus = 'sent' | 'failed';

/** Where an attempt came from. */
export interface AttemptSource {
  readonly eventId: string;
  readonly correlationId: string | undefined;
  readonly provider: string;
}

/**
 * Locks the notifications with these keys until the transaction ends and returns their statuses, by
 * lowercase key, in one statement (see migrations/0002_lock_notification_statuses.sql). A second
 * transaction handling the same notification (a main-topic record racing its own retry) waits, then sees
 * the first one's record and does not call the provider. Transaction-scoped, so a crash releases the locks;
 * they are taken in key order, so two batches never wait on each other in a cycle.
 */
export async function lockNotificationStatuses(
  client: Queryable,
  keys: readonly string[],
): Promise<Map<string, NotificationStatus>> {
  if (keys.length === 0) return new Map();
  const result = await client.query<{ key: string; status: NotificationStatus }>(
    'SELECT idempotency_key AS key, status FROM lock_notification_statuses($1::uuid[])',
    [keys],
  );
  return new Map(result.rows.map((row) => [row.key.toLowerCase(), row.status]));
}

export interface SentNotification {
  planned: PlannedNotification;
  source: AttemptSource;
  providerMessageId: string;
}

/**
 * Records in one statement that a provider accepted these notifications. Never overwrites a 'sent' row:
 * the caller held the locks and saw none, so finding one means that invariant broke, and this throws
 * rather than hide it.
 */
export async function recordSentMany(client: Queryable, items: readonly SentNotification[]): Promise<void> {
  if (items.length === 0) return;
  const result = await client.query(
    `INSERT INTO notifications (order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       status, provider_message_id, attempts, event_id, correlation_id, sent_at)
     SELECT order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       'sent', provider_message_id, 1, event_id, correlation_id, clock_timestamp()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::uuid[], $11::uuid[])
       AS s(order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
            provider_message_id, event_id, correlation_id)
     ON CONFLICT (order_id, outcome, channel) DO UPDATE SET
       status = 'sent', provider = EXCLUDED.provider, recipient = EXCLUDED.recipient, subject = EXCLUDED.subject,
       body = EXCLUDED.body, provider_message_id = EXCLUDED.provider_message_id,
       attempts = notifications.attempts + 1, event_id = EXCLUDED.event_id,
       correlation_id = EXCLUDED.correlation_id, sent_at = EXCLUDED.sent_at, updated_at = clock_timestamp(),
       contact_erased_at = NULL
     WHERE notifications.status <> 'sent'`,
    [
      items.map((item) => item.planned.orderId),
      items.map((item) => item.planned.outcome),
      items.map((item) => item.planned.channel),
      items.map((item) => item.planned.key),
      items.map((item) => item.source.provider),
      items.map((item) => item.planned.message.to),
      items.map((item) => item.planned.message.subject ?? null),
      items.map((item) => item.planned.message.text),
      items.map((item) => item.providerMessageId),
      items.map((item) => item.source.eventId),
      items.map((item) => item.source.correlationId ?? null),
    ],
  );
  if (result.rowCount !== items.length) {
    throw new Error(
      `notifications ${items.map((item) => item.planned.key).join(', ')} were already recorded as sent while their locks were held`,
    );
  }
}

export interface FailedNotification {
  planned: PlannedNotification;
  source: AttemptSource;
  error: { code: string; message: string };
}

/**
 * Records failed attempts in one statement (on a transaction that survives the consumer's rollback).
 * Never touches a 'sent' row.
 */
export async function recordFailedMany(client: Queryable, items: readonly FailedNotification[]): Promise<void> {
  if (items.length === 0) return;
  await client.query(
    `INSERT INTO notifications (order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       status, attempts, last_error_code, last_error_message, event_id, correlation_id)
     SELECT order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       'failed', 1, last_error_code, last_error_message, event_id, correlation_id
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::text[], $11::uuid[], $12::uuid[])
       AS f(order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
            last_error_code, last_error_message, event_id, correlation_id)
     ON CONFLICT (order_id, outcome, channel) DO UPDATE SET
       attempts = notifications.attempts + 1, last_error_code = EXCLUDED.last_error_code,
       last_error_message = EXCLUDED.last_error_message, event_id = EXCLUDED.event_id,
       correlation_id = EXCLUDED.correlation_id, updated_at = clock_timestamp()
     WHERE notifications.status <> 'sent'`,
    [
      items.map((item) => item.planned.orderId),
      items.map((item) => item.planned.outcome),
      items.map((item) => item.planned.channel),
      items.map((item) => item.planned.key),
      items.map((item) => item.source.provider),
      items.map((item) => item.planned.message.to),
      items.map((item) => item.planned.message.subject ?? null),
      items.map((item) => item.planned.message.text),
      items.map((item) => item.error.code),
      items.map((item) => item.error.message.slice(0, MAX_STORED_ERROR_MESSAGE_LENGTH)),
      items.map((item) => item.source.eventId),
      items.map((item) => item.source.correlationId ?? null),
    ],
  );
}

/** One notification as the API shows it. */
export interface NotificationRecord {
  idempotencyKey: string;
  orderId: string;
  outcome: OutcomeType;
  channel: ChannelKind;
  provider: string;
  /** Null once erased after the contact retention (see contactErasedAt). */
  recipient: string | null;
  subject: string | null;
  body: string;
  status: NotificationStatus;
  providerMessageId: string | null;
  attempts: number;
  lastError: { code: string; message: string } | null;
  eventId: string;
  correlationId: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
  /** When its contact data was erased after the retention; null while it is kept. */
  contactErasedAt: string | null;
}

interface NotificationRow {
  idempotency_key: string;
  order_id: string;
  outcome: OutcomeType;
  channel: ChannelKind;
  provider: string;
  recipient: string | null;
  subject: string | null;
  body: string;
  status: NotificationStatus;
  provider_message_id: string | null;
  attempts: number;
  last_error_code: string | null;
  last_error_message: string | null;
  event_id: string;
  correlation_id: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  contact_erased_at: Date | null;
}

function toRecord(row: NotificationRow): NotificationRecord {
  return {
    idempotencyKey: row.idempotency_key,
    orderId: row.order_id,
    outcome: row.outcome,
    channel: row.channel,
    provider: row.provider,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    status: row.status,
    providerMessageId: row.provider_message_id,
    attempts: row.attempts,
    lastError:
      row.last_error_code === null ? null : { code: row.last_error_code, message: row.last_error_message ?? '' },
    eventId: row.event_id,
    correlationId: row.correlation_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
    contactErasedAt: row.contact_erased_at?.toISOString() ?? null,
  };
}

/**
 * Every notification of one order, oldest first. Unbounded on purpose: an order has at most one row per
 * outcome event type per channel (the primary key), so at most 4 today.
 */
export async function listNotificationsOfOrder(pool: Pool, orderId: string): Promise<NotificationRecord[]> {
  const result = await pool.query<NotificationRow>(
    `SELECT * FROM notifications WHERE order_id = $1 ORDER BY created_at, outcome, channel`,
    [orderId],
  );
  return result.rows.map(toRecord);
}
