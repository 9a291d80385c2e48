import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { AppError } from '@shop/platform';
import { sendWithTimeout } from '../../src/channels/send-with-timeout.ts';
import { createSmtpEmailChannel, type SmtpEmailChannel } from '../../src/channels/smtp-email-channel.ts';
import type { OutboundMessage } from '../../src/domain/channel.ts';
import { closedPort, type SmtpTestBehaviour, startSmtpTestServer } from '../support/smtp-test-server.ts';

const MESSAGE: OutboundMessage = {
  channel: 'email',
  to: 'ada@example.com',
  subject: 'Your order 0b5c2b1e is confirmed',
  text: 'Hello,\n\nthank you for your order.\n.\nA line with a lone dot above.\n',
};

function channelFor(t: TestContext, url: string): SmtpEmailChannel {
  const channel = createSmtpEmailChannel({ url, from: 'Shop <orders@shop.example>', messageIdDomain: 'shop.example' });
  t.after(() => channel.close());
  return channel;
}

async function serverWith(t: TestContext, behaviour: SmtpTestBehaviour = {}) {
  const server = await startSmtpTestServer(behaviour);
  t.after(() => server.close());
  return server;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => assert.fail('expected the send to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AppError, `an AppError, got ${String(error)}`);
  return error;
}

test('the SMTP channel should send the message with the idempotency key as its Message-ID', async (t) => {
  const server = await serverWith(t);
  const key = randomUUID();
  const receipt = await sendWithTimeout(channelFor(t, server.url), MESSAGE, key, 5_000);

  assert.equal(server.received.length, 1);
  const [mail] = server.received;
  assert.equal(mail?.from, 'orders@shop.example');
  assert.deepEqual(mail?.to, ['ada@example.com']);
  assert.match(mail?.data ?? '', new RegExp(`^Message-ID: <${key}@shop\\.example>$`, 'mi'));
  assert.match(mail?.data ?? '', /^Subject: Your order 0b5c2b1e is confirmed$/m);
  assert.match(mail?.data ?? '', /\r\n\.\r\nA line with a lone dot above\./, 'body intact through dot-stuffing');
  assert.equal(receipt.providerMessageId, `<${key}@shop.example>`);
});

test('a re-send with the same idempotency key should carry the same Message-ID (SMTP itself delivers both)', async (t) => {
  const server = await serverWith(t);
  const channel = channelFor(t, server.url);
  const key = randomUUID();
  await sendWithTimeout(channel, MESSAGE, key, 5_000);
  await sendWithTimeout(channel, MESSAGE, key, 5_000);
  const ids = server.received.map((mail) => /^Message-ID: (.*)$/im.exec(mail.data)?.[1]);
  assert.deepEqual(ids, [`<${key}@shop.example>`, `<${key}@shop.example>`]);
});

test('a recipient rejected for good should fail as poison with NTF_RECIPIENT_REJECTED', async (t) => {
  const server = await serverWith(t, {
    refuseRecipient: () => ({ code: 550, message: '5.1.1 <ada@example.com>: Recipient address rejected' }),
  });
  const error = await rejection(sendWithTimeout(channelFor(t, server.url), MESSAGE, randomUUID(), 5_000));
  assert.equal(error.code, 'NTF_RECIPIENT_REJECTED');
  assert.equal(error.retryable, false);
  assert.equal(error.details?.responseCode, 550);
  assert.equal(server.received.length, 0);
});

test('a recipient deferred with a 4xx reply should fail as retryable NTF_CHANNEL_UNAVAILABLE', async (t) => {
  const server = await serverWith(t, {
    refuseRecipient: () => ({ code: 450, message: '4.2.1 Mailbox busy, try later' }),
  });
  const error = await rejection(sendWithTimeout(channelFor(t, server.url), MESSAGE, randomUUID(), 5_000));
  assert.equal(error.code, 'NTF_CHANNEL_UNAVAILABLE');
  assert.equal(error.retryable, true);
  assert.equal(error.details?.responseCode, 450);
  assert.equal(server.received.length, 0);
});

test('a server that drops the connection in the middle of DATA should fail as retryable NTF_CHANNEL_UNAVAILABLE', async (t) => {
  const server = await serverWith(t, { dropDuringData: true });
  const error = await rejection(sendWithTimeout(channelFor(t, server.url), MESSAGE, randomUUID(), 5_000));
  assert.equal(error.code, 'NTF_CHANNEL_UNAVAILABLE');
  assert.equal(error.retryable, true);
  assert.equal(server.dropped, 1, 'the message was on its way when the connection went');
  assert.equal(server.received.length, 0, 'never acknowledged: a retry must send it again');
});

test('an SMTP server that refuses connections should fail as retryable, not as our own infrastructure', async (t) => {
  const error = await rejection(
    sendWithTimeout(channelFor(t, `smtp://127.0.0.1:${await closedPort()}`), MESSAGE, randomUUID(), 5_000),
  );
  assert.equal(error.code, 'NTF_CHANNEL_UNAVAILABLE');
  assert.equal(error.retryable, true);
});

test('a server that never answers the end of DATA should fail within the send timeout as NTF_CHANNEL_TIMEOUT', async (t) => {
  const server = await serverWith(t, { stallAfterData: true });
  const started = Date.now();
  const error = await rejection(sendWithTimeout(channelFor(t, server.url), MESSAGE, randomUUID(), 300));
  assert.equal(error.code, 'NTF_CHANNEL_TIMEOUT');
  assert.equal(error.retryable, true);
  assert.ok(Date.now() - started < 2_000, 'bounded by the send timeout, not by the socket timeout');
  assert.equal(server.received.length, 1, 'the server did receive it: the outcome of a timeout is unknown');
});
