import type { PoolClient } from '../db/pool.ts';
import { markOutboxAppend } from './outbox-signal.ts';

/** One event ready to publish: already validated and encoded by `@shop/contracts`. */
export interface OutboxMessage {
  eventId: string;
  eventType: string;
  topic: string;
  key: string;
  payload: Buffer;
  headers: Readonly<Record<string, string>>;
}

/**
 * Appends events to the outbox on the caller's transaction, so they are published if and only if the
 * state change they describe commits. Call it after the aggregate's row is locked or written: two
 * transactions on the same aggregate then take their outbox ids in commit order, which keeps per-key order.
 * Inside `inTransaction`, the relay of this process is woken as soon as the transaction commits; rows
 * committed any other way wait for the relay's poll.
 */
export async function appendToOutbox(client: PoolClient, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await client.query(
    `INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::jsonb[])`,
    [
      messages.map((m) => m.eventId),
      messages.map((m) => m.eventType),
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => m.payload),
      messages.map((m) => JSON.stringify(m.headers)),
    ],
  );
  markOutboxAppend(client);
}
