import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendWithTimeout } from '../../src/channels/send-with-timeout.ts';
import type { NotificationChannel, SendOptions } from '../../src/domain/channel.ts';

test('a channel that ignores the abort signal should still be abandoned at the timeout with a retryable NTF_CHANNEL_TIMEOUT', async () => {
  let seen: SendOptions | undefined;
  const hanging: NotificationChannel = {
    kind: 'sms',
    provider: 'hanging',
    send: (_message, options) => {
      seen = options;
      return new Promise(() => {});
    },
  };
  const started = Date.now();
  await assert.rejects(sendWithTimeout(hanging, { channel: 'sms', to: '+441632960961', text: 'x' }, 'key-1', 100), {
    code: 'NTF_CHANNEL_TIMEOUT',
    retryable: true,
  });
  assert.ok(Date.now() - started < 1_000);
  assert.equal(seen?.idempotencyKey, 'key-1');
  assert.equal(seen?.signal.aborted, true, 'the channel was told to stop');
});

test('a channel answering in time should return its receipt and leave the signal alone', async () => {
  let signal: AbortSignal | undefined;
  const quick: NotificationChannel = {
    kind: 'email',
    provider: 'quick',
    send: async (_message, options) => {
      signal = options.signal;
      return { providerMessageId: 'p-1' };
    },
  };
  const receipt = await sendWithTimeout(quick, { channel: 'email', to: 'a@example.com', text: 'x' }, 'key-2', 100);
  assert.deepEqual(receipt, { providerMessageId: 'p-1' });
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(signal?.aborted, false, 'no abort after a successful send');
});
