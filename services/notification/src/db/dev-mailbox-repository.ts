/**
 * SQL for the development channel's mailbox (table `dev_channel_messages`): what a provider would have
 * delivered, de-duplicated by idempotency key.
 */
import type { Queryable } from '@shop/platform';
import type { OutboundMessage } from '../domain/channel.ts';

export interface DevMailboxReceipt {
  /** The id given when the key was first submitted; the same on every re-submission. */
  providerMessageId: string;
  /** How many times the key was submitted, the first time included. */
  submissions: number;
}

/** One submission to the development mailbox. */
export interface DevMailboxSubmission {
  readonly key: string;
  readonly message: OutboundMessage;
}

/**
 * Accepts each message under its key once, in ONE statement (one commit for all of them); a re-submission of
 * a key only counts, it never delivers again. The keys must be distinct (a statement may not update one row
 * twice). Receipts come back in the submissions' order.
 */
export async function acceptIntoDevMailbox(
  client: Queryable,
  submissions: readonly DevMailboxSubmission[],
): Promise<DevMailboxReceipt[]> {
  const result = await client.query<{ idempotency_key: string; provider_message_id: string; submissions: number }>(
    `INSERT INTO dev_channel_messages (idempotency_key, provider_message_id, channel, recipient, subject, body)
     SELECT m.key, 'dev-' || gen_random_uuid(), m.channel, m.recipient, m.subject, m.body
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS m(key, channel, recipient, subject, body)
     ON CONFLICT (idempotency_key) DO UPDATE SET
       submissions = dev_channel_messages.submissions + 1, last_submitted_at = clock_timestamp()
     RETURNING idempotency_key, provider_message_id, submissions`,
    [
      submissions.map((s) => s.key),
      submissions.map((s) => s.message.channel),
      submissions.map((s) => s.message.to),
      submissions.map((s) => s.message.subject ?? null),
      submissions.map((s) => s.message.text),
    ],
  );
  const byKey = new Map(result.rows.map((row) => [row.idempotency_key, row]));
  return submissions.map(({ key }) => {
    const row = byKey.get(key.toLowerCase());
    if (row === undefined) throw new Error(`dev mailbox returned no row for ${key}`);
    return { providerMessageId: row.provider_message_id, submissions: row.submissions };
  });
}

/** One message in the development mailbox. */
export interface DevMailboxMessage {
  idempotencyKey: string;
  providerMessageId: string;
  channel: OutboundMessage['channel'];
  /** Null once erased after the contact retention. */
  recipient: string | null;
  subject: string | null;
  body: string;
  submissions: number;
  firstSubmittedAt: string;
  lastSubmittedAt: string;
}

/** The mailbox entries for `keys` (tests and the dev stack look up what a provider holds). */
export async function findInDevMailbox(client: Queryable, keys: readonly string[]): Promise<DevMailboxMessage[]> {
  const result = await client.query<{
    idempotency_key: string;
    provider_message_id: string;
    channel: OutboundMessage['channel'];
    recipient: string | null;
    subject: string | null;
    body: string;
    submissions: number;
    first_submitted_at: Date;
    last_submitted_at: Date;
  }>('SELECT * FROM dev_channel_messages WHERE idempotency_key = ANY($1::uuid[]) ORDER BY first_submitted_at', [keys]);
  return result.rows.map((row) => ({
    idempotencyKey: row.idempotency_key,
    providerMessageId: row.provider_message_id,
    channel: row.channel,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    submissions: row.submissions,
    firstSubmittedAt: row.first_submitted_at.toISOString(),
    lastSubmittedAt: row.last_submitted_at.toISOString(),
  }));
}
