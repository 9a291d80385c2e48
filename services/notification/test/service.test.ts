import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notificationKey } from '../src/domain/notification-key.ts';
import { startHarness, waitForSent } from './support/harness.ts';
import { orderConfirmed } from './support/outcome-events.ts';
import { startSmtpTestServer } from './support/smtp-test-server.ts';

test('with SMTP_URL set the service should e-mail through SMTP with the idempotency key as Message-ID, and SMS through the development channel', async (t) => {
  const smtp = await startSmtpTestServer();
  t.after(() => smtp.close());
  const { service, publish } = await startHarness(t, {
    env: { SMTP_URL: smtp.url, EMAIL_FROM: 'Shop Orders <orders@mail.shop.test>' },
  });
  const event = orderConfirmed();
  const { orderId } = event.payload;
  await publish(event);

  const records = await waitForSent(service, orderId, 2);
  const email = records.find((record) => record.channel === 'email');
  const key = notificationKey(orderId, 'OrderConfirmed', 'email');
  assert.equal(email?.provider, 'smtp');
  assert.equal(email?.providerMessageId, `<${key}@mail.shop.test>`);
  assert.equal(records.find((record) => record.channel === 'sms')?.provider, 'dev');
  assert.equal(smtp.received.length, 1);
  assert.deepEqual(smtp.received[0]?.to, ['ada@example.com']);
  assert.match(smtp.received[0]?.data ?? '', new RegExp(`^Message-ID: <${key}@mail\\.shop\\.test>$`, 'mi'));
  assert.match(smtp.received[0]?.data ?? '', /^From: Shop Orders <orders@mail\.shop\.test>$/m);
});

test('the service should read its settings from the environment it is started with, never from process.env', async (t) => {
  // An SMTP_URL in the process environment that nothing listens on: read, every e-mail would fail.
  const previous = process.env.SMTP_URL;
  process.env.SMTP_URL = 'smtp://127.0.0.1:1';
  t.after(() => {
    if (previous === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = previous;
  });
  const { service, publish } = await startHarness(t, { env: { DEV_CHANNEL_LATENCY_MS: '0' } });
  const event = orderConfirmed();
  await publish(event);

  const records = await waitForSent(service, event.payload.orderId, 2);
  assert.deepEqual(records.map((record) => [record.channel, record.provider]).sort(), [
    ['email', 'dev'],
    ['sms', 'dev'],
  ]);
});
