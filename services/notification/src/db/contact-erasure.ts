/**
 * Erases the contact data of notifications older than the retention: the recipient of our delivery
 * records and of the development channel's mailbox. Rows are kept. Age is the last write (`updated_at`,
 * `last_submitted_at`): a notification re-sent later (a replay) is written again with the recipient from
 * its event, and its retention starts again. Times are the database's, like every other timestamp here.
 */
import type { Queryable } from '@shop/platform';

/**
 * Erases the recipients of at most `limit` notifications last written more than `retentionSeconds` ago, and
 * of at most `limit` development mailbox rows of the same age; returns how many of each. Rows locked by a
 * delivery in progress are skipped (they are being written now, so they are not expired).
 */
export async function eraseExpiredContacts(
  db: Queryable,
  retentionSeconds: number,
  limit: number,
): Promise<{ notifications: number; mailbox: number }> {
  const { rows } = await db.query<{ notifications: string; mailbox: string }>(
    `WITH expired AS (
       SELECT idempotency_key FROM notifications
       WHERE recipient IS NOT NULL AND updated_at < now() - make_interval(secs => $1)
       ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), erased AS (
       UPDATE notifications n SET recipient = NULL, contact_erased_at = now()
       FROM expired e WHERE n.idempotency_key = e.idempotency_key
       RETURNING 1
     ), mailbox AS (
       UPDATE dev_channel_messages SET recipient = NULL
       WHERE idempotency_key IN (
         SELECT idempotency_key FROM dev_channel_messages
         WHERE recipient IS NOT NULL AND last_submitted_at < now() - make_interval(secs => $1)
         ORDER BY last_submitted_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM erased) AS notifications, (SELECT count(*) FROM mailbox) AS mailbox`,
    [retentionSeconds, limit],
  );
  return { notifications: Number(rows[0]?.notifications ?? 0), mailbox: Number(rows[0]?.mailbox ?? 0) };
}
