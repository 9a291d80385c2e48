import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pool } from '@shop/platform';
import { createDevChannel } from '../../src/channels/dev-channel.ts';

const MESSAGE = { channel: 'email', to: 'customer@example.com', subject: 'Order', text: 'Confirmed' } as const;

/** A stand-in for the mailbox's pool that counts inserts (unit test of the channel's failure injection only). */
function countingPool(): { pool: Pool; inserts: () => number } {
  let inserts = 0;
  const pool = {
    query: async () => {
      inserts++;
      return { rows: [{ provider_message_id: `dev-${inserts}`, submissions: 1 }] };
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
