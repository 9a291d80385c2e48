/**
 * The inbox: one row per (consumer, event id) that a committed transaction of the consumer handled. It is
 * written on the batch's own transaction, so an event's effects and its inbox row commit together, and a
 * redelivery (after a crash between database commit and offset commit, or a rebalance) has no second effect.
 */
import type { Pool, PoolClient } from '../db/pool.ts';
import type { KafkaRecord } from './types.ts';

export interface InboxEntry {
  readonly eventId: string;
  readonly record: KafkaRecord;
}

/**
 * Writes the inbox rows of a whole batch in one statement and returns the positions (in `entries`) of the
 * events that were new. An event id appearing twice in the batch counts as new once (the first one).
 */
export async function claimInbox(
  client: PoolClient,
  consumer: string,
  entries: readonly InboxEntry[],
): Promise<number[]> {
  if (entries.length === 0) return [];
  const { rows } = await client.query<{ event_id: string }>(
    `INSERT INTO inbox (consumer, event_id, topic, partition, record_offset)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::integer[], $5::bigint[])
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [
      consumer,
      entries.map((entry) => entry.eventId),
      entries.map((entry) => entry.record.topic),
      entries.map((entry) => entry.record.partition),
      entries.map((entry) => entry.record.offset.toString()),
    ],
  );
  // PostgreSQL returns uuids in canonical lower case; event ids are compared the same way.
  const fresh = new Set(rows.map((row) => row.event_id));
  const positions: number[] = [];
  for (const [position, entry] of entries.entries()) {
    if (fresh.delete(entry.eventId.toLowerCase())) positions.push(position);
  }
  return positions;
}

/**
 * Removes inbox rows written earlier in the same transaction (records the handler rejected): they leave the
 * consumer through the failure router, and a replay from there must not be taken for a duplicate.
 */
export async function releaseInbox(client: PoolClient, consumer: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await client.query('DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [consumer, eventIds]);
}

/**
 * Deletes up to `limit` of `consumer`'s inbox rows processed before `olderThan`; returns how many it deleted.
 * One short statement per call, so pruning a large backlog never holds a long transaction or many locks.
 */
export async function pruneInboxBatch(pool: Pool, consumer: string, olderThan: Date, limit: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM inbox WHERE ctid IN (
       SELECT ctid FROM inbox WHERE consumer = $1 AND processed_at < $2 LIMIT $3)`,
    [consumer, olderThan, limit],
  );
  return rowCount ?? 0;
}
