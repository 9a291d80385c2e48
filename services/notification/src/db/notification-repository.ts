/**
 * SQL for the notifications table. Functions take the client to run on: the consumer's transaction for
 * the normal path, a separate transaction for recording attempts that must outlive a rollback.
 */
import type { Pool, PoolClient } from '@shop/platform/db/pool';
import type { ChannelKind } from '../domain/channel.ts';
import type { OutcomeType } from '../domain/outcome.ts';
import type { PlannedNotification } from '../domain/plan-notifications.ts';

type Queryable = Pick<PoolClient, 'query'>;

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
 * Serialises every transaction that handles the same notification until it ends: a second event for the
 * same outcome (a main-topic record racing its own retry) waits, then sees the first one's record and does
 * not call the provider. Transaction-scoped, so a crash releases it. Callers take the locks of one event in
 * key order, so two handlers never wait on each other in a cycle.
 */
export async function lockNotification(client: Queryable, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}

export async function findNotificationStatus(client: Queryable, key: string): Promise<NotificationStatus | undefined> {
  const result = await client.query<{ status: NotificationStatus }>(
    'SELECT status FROM notifications WHERE idempotency_key = $1',
    [key],
  );
  return result.rows[0]?.status;
}

/**
 * lockNotification for several keys in one statement (a round trip is the cost under load): the locks are
 * taken in key order, one unnest row after the other, so two handlers never wait on each other in a cycle.
 */
export async function lockNotifications(client: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k', [
    [...new Set(keys)].sort(),
  ]);
}

/**
 * The statuses of several notifications, by key. Must run as its own statement after lockNotifications:
 * a statement's snapshot is taken when it starts, so a read folded into the locking statement could miss a
 * 'sent' row committed while it waited for the lock.
 */
export async function findNotificationStatuses(
  client: Queryable,
  keys: readonly string[],
): Promise<Map<string, NotificationStatus>> {
  if (keys.length === 0) return new Map();
  const result = await client.query<{ key: string; status: NotificationStatus }>(
    'SELECT idempotency_key AS key, status FROM notifications WHERE idempotency_key = ANY($1::uuid[])',
    [keys],
  );
  return new Map(result.rows.map((row) => [row.key.toLowerCase(), row.status]));
}

export interface SentNotification {
  planned: PlannedNotification;
  source: AttemptSource;
  providerMessageId: string;
}

/** recordSent for several notifications in one statement, with the same never-overwrite-'sent' check. */
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
       correlation_id = EXCLUDED.correlation_id, sent_at = EXCLUDED.sent_at, updated_at = clock_timestamp()
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

/**
 * Records that a provider accepted `planned`. Never overwrites a 'sent' row: the caller held the lock and
 * saw none, so finding one means that invariant broke, and this throws rather than hide it.
 */
export async function recordSent(
  client: Queryable,
  planned: PlannedNotification,
  source: AttemptSource,
  providerMessageId: string,
): Promise<void> {
  const result = await client.query(
    `INSERT INTO notifications (order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       status, provider_message_id, attempts, event_id, correlation_id, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sent', $9, 1, $10, $11, clock_timestamp())
     ON CONFLICT (order_id, outcome, channel) DO UPDATE SET
       status = 'sent', provider = EXCLUDED.provider, recipient = EXCLUDED.recipient, subject = EXCLUDED.subject,
       body = EXCLUDED.body, provider_message_id = EXCLUDED.provider_message_id,
       attempts = notifications.attempts + 1, event_id = EXCLUDED.event_id,
       correlation_id = EXCLUDED.correlation_id, sent_at = EXCLUDED.sent_at, updated_at = clock_timestamp()
     WHERE notifications.status <> 'sent'`,
    [
      planned.orderId,
      planned.outcome,
      planned.channel,
      planned.key,
      source.provider,
      planned.message.to,
      planned.message.subject ?? null,
      planned.message.text,
      providerMessageId,
      source.eventId,
      source.correlationId ?? null,
    ],
  );
  if (result.rowCount !== 1) {
    throw new Error(`notification ${planned.key} was already recorded as sent while its lock was held`);
  }
}

/** Records a failed attempt (kept when the consumer's transaction rolls back). Never touches a 'sent' row. */
export async function recordFailed(
  client: Queryable,
  planned: PlannedNotification,
  source: AttemptSource,
  error: { code: string; message: string },
): Promise<void> {
  await client.query(
    `INSERT INTO notifications (order_id, outcome, channel, idempotency_key, provider, recipient, subject, body,
       status, attempts, last_error_code, last_error_message, event_id, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'failed', 1, $9, $10, $11, $12)
     ON CONFLICT (order_id, outcome, channel) DO UPDATE SET
       attempts = notifications.attempts + 1, last_error_code = EXCLUDED.last_error_code,
       last_error_message = EXCLUDED.last_error_message, event_id = EXCLUDED.event_id,
       correlation_id = EXCLUDED.correlation_id, updated_at = clock_timestamp()
     WHERE notifications.status <> 'sent'`,
    [
      planned.orderId,
      planned.outcome,
      planned.channel,
      planned.key,
      source.provider,
      planned.message.to,
      planned.message.subject ?? null,
      planned.message.text,
      error.code,
      error.message.slice(0, MAX_STORED_ERROR_MESSAGE_LENGTH),
      source.eventId,
      source.correlationId ?? null,
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
  recipient: string;
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
}

interface NotificationRow {
  idempotency_key: string;
  order_id: string;
  outcome: OutcomeType;
  channel: ChannelKind;
  provider: string;
  recipient: string;
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
