import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createLogger, migrate, type Pool } from '@shop/platform';
import { countingQueryable, createTestDatabase } from '@shop/test-support';
import { createDevChannel, DEV_CHANNEL_MAX_IN_FLIGHT } from '../../src/channels/dev-channel.ts';
import { notificationService } from '../../src/service.ts';

const MESSAGE = { channel: 'email', to: 'customer@example.com', subject: 'Order', text: 'Confirmed' } as const;

/** A stand-in for the mailbox's pool that counts inserts (unit test of the channel's failure injection only). */
function countingPool(): { pool: Pool; inserts: () => number } {
  let inserts = 0;
  const pool = {
    query: async (_text: string, values: [string[]]) => {
      inserts++;
      const keys = values[0];
      return {
        rows: keys.map((key) => ({ idempotency_key: key, provider_message_id: `dev-${inserts}`, submissions: 1 })),
      };
    },
  } as unknown as Pool;
  return { pool, inserts: () => inserts };
}

const send = (channel: ReturnType<typeof createDevChannel>, key: string) =>
  channel.send(MESSAGE, { idempotencyKey: key, signal: new AbortController().signal });

test('the development channel should fail a share of sends with a retryable NTF_CHANNEL_UNAVAILABLE and accept nothing for them', async () => {
  const { pool, inserts } = countingPool();
  // Draws alternate below and above the rate: every other send fails.
  let draw = 0;
  const channel = createDevChannel({
    kind: 'email',
    pool,
    failureRate: 0.5,
    random: () => (draw++ % 2 === 0 ? 0.1 : 0.9),
  });
  await assert.rejects(send(channel, 'k1'), { code: 'NTF_CHANNEL_UNAVAILABLE', retryable: true });
  assert.equal(inserts(), 0, 'a failed send delivers nothing');
  assert.deepEqual(await send(channel, 'k1'), { providerMessageId: 'dev-1' });
  await assert.rejects(send(channel, 'k2'), /injected transient failure/);
  assert.equal(inserts(), 1);
});

test('the development channel should never draw nor fail with the default failure rate of 0', async () => {
  const { pool, inserts } = countingPool();
  const channel = createDevChannel({
    kind: 'sms',
    pool,
    random: () => {
      throw new Error('drawn without a failure rate');
    },
  });
  for (let i = 0; i < 5; i++) await send(channel, `k${i}`);
  assert.equal(inserts(), 5);
});

test('concurrent sends should share mailbox statements, each keeping its own receipt, and a repeated key should only count', async (t) => {
  const database = await createTestDatabase(t, 'ntf_dev_mailbox');
  await migrate(database.pool, notificationService.migrations, createLogger({ service: 'test', level: 'silent' }));
  const counter = countingQueryable(database.pool);
  const channel = createDevChannel({ kind: 'email', pool: counter.queryable });
  const keys = Array.from({ length: 40 }, () => randomUUID());
  const receipts = await Promise.all(keys.map((key) => send(channel, key)));
  assert.ok(
    counter.statements() <= DEV_CHANNEL_MAX_IN_FLIGHT + 1,
    `40 concurrent sends took ${counter.statements()} statements`,
  );
  assert.equal(new Set(receipts.map((r) => r.providerMessageId)).size, 40, 'one message id per key');

  // The same key twice at once never shares a statement (one row may not be updated twice by one).
  const again = await Promise.all([send(channel, keys[0] as string), send(channel, keys[0] as string)]);
  assert.deepEqual(
    again.map((r) => r.providerMessageId),
    [receipts[0]?.providerMessageId, receipts[0]?.providerMessageId],
  );
  const { rows } = await database.pool.query(
    'SELECT count(*)::int AS messages, max(submissions)::int AS most FROM dev_channel_messages',
  );
  assert.deepEqual(rows[0], { messages: 40, most: 3 });
});
