import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { topic } from '@shop/contracts';
import { EVENT_RETENTION_MS } from '@shop/contracts/topics';
import { createTestDatabase, eventually } from '@shop/test-support';
import { claimInbox } from '../../src/consume/inbox.ts';
import { InboxPruner } from '../../src/consume/inbox-pruner.ts';
import type { KafkaRecord } from '../../src/consume/types.ts';
import { migrate } from '../../src/db/migrate.ts';
import { inTransaction } from '../../src/db/pool.ts';
import { inboxRetentionMs } from '../../src/events/catalog-consumer.ts';
import { createLogger } from '../../src/logger.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
const DAY_MS = 24 * 60 * 60 * 1000;
const CONSUMER = 'inventory-service.reserve-stock';

function record(offset: number): KafkaRecord {
  return { topic: 'test.inbox', partition: 0, offset: BigInt(offset) } as KafkaRecord;
}

/** Claims `eventIds` for `consumer`; returns the positions that were new (not duplicates). */
function claim(pool: import('../../src/db/pool.ts').Pool, eventIds: string[], consumer = CONSUMER) {
  return inTransaction(pool, (client) =>
    claimInbox(
      client,
      consumer,
      eventIds.map((eventId, offset) => ({ eventId, record: record(offset) })),
    ),
  );
}

test("a consumer's inbox is kept for the longest retention of the topics it reads, from the catalog", () => {
  assert.equal(inboxRetentionMs('reserveStock'), topic('orderPlaced').retentionMs);
  assert.equal(inboxRetentionMs('orderSaga'), EVENT_RETENTION_MS);
});

test('pruning removes inbox rows older than the retention in batches, keeps newer ones, and a kept record is still deduplicated', async (t) => {
  const db = await createTestDatabase(t, 'inbox_prune');
  await migrate(db.pool, [platformMigrations]);
  const retentionMs = inboxRetentionMs('reserveStock');
  const old = Array.from({ length: 7 }, () => randomUUID());
  const kept = Array.from({ length: 3 }, () => randomUUID());
  const otherConsumer = randomUUID();
  await claim(db.pool, [...old, ...kept]);
  await claim(db.pool, [otherConsumer], 'payment-service.process-payments');
  await db.pool.query(
    `UPDATE inbox SET processed_at = now() - make_interval(secs => $1::double precision / 1000)
      WHERE event_id = ANY($2::uuid[]) OR event_id = $3`,
    [retentionMs + DAY_MS, old, otherConsumer],
  );
  await db.pool.query(
    `UPDATE inbox SET processed_at = now() - make_interval(secs => $1::double precision / 1000)
      WHERE event_id = ANY($2::uuid[])`,
    [retentionMs - DAY_MS, kept],
  );

  const pruner = new InboxPruner({ pool: db.pool, logger, consumer: CONSUMER, retentionMs, batchRows: 3 });
  assert.equal(await pruner.pruneOnce(), old.length, 'every old row, over three batches');
  const { rows } = await db.pool.query<{ event_id: string; consumer: string }>(
    'SELECT event_id, consumer FROM inbox ORDER BY consumer, event_id',
  );
  assert.deepEqual(
    rows.map((row) => row.event_id),
    [...[...kept].sort(), otherConsumer],
    "the newer rows and another consumer's rows are kept",
  );
  assert.deepEqual(await claim(db.pool, kept), [], 'a redelivery of a kept record is still a duplicate');
});

test('a started pruner prunes at once and keeps the inbox pruned on its interval until stopped', async (t) => {
  const db = await createTestDatabase(t, 'inbox_prune');
  await migrate(db.pool, [platformMigrations]);
  const retentionMs = 60_000;
  const pruner = new InboxPruner({ pool: db.pool, logger, consumer: CONSUMER, retentionMs, intervalMs: 100 });
  pruner.start();
  t.after(() => pruner.stop());
  const count = async () => Number((await db.pool.query('SELECT count(*) AS n FROM inbox')).rows[0]?.n);
  for (let round = 0; round < 2; round++) {
    const eventId = randomUUID();
    await claim(db.pool, [eventId]);
    await db.pool.query(`UPDATE inbox SET processed_at = now() - interval '2 minutes' WHERE event_id = $1`, [eventId]);
    await eventually(async () => ((await count()) === 0 ? true : undefined), 10_000, `round ${round} pruned`);
  }
});
