import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNotificationConfig } from '../src/config.ts';

test('without SMTP_URL the configuration should select the development channel and the default sender', () => {
  const config = loadNotificationConfig({});
  assert.equal(config.smtpUrl, undefined);
  assert.equal(config.emailFrom, 'Shop <orders@shop.example>');
  assert.equal(config.messageIdDomain, 'shop.example');
  assert.equal(config.devChannelLatencyMs, 0);
  assert.equal(config.devChannelFailureRate, 0);
});

test('DEV_CHANNEL_FAILURE_RATE should be read as a share between 0 and the maximum', () => {
  assert.equal(loadNotificationConfig({ DEV_CHANNEL_FAILURE_RATE: '0.3' }).devChannelFailureRate, 0.3);
  for (const rate of ['-0.1', '0.95', '1', 'often']) {
    assert.throws(
      () => loadNotificationConfig({ DEV_CHANNEL_FAILURE_RATE: rate }),
      { code: 'PLT_CONFIG_INVALID' },
      rate,
    );
  }
});

test('the Message-ID domain should come from EMAIL_FROM, with or without a display name', () => {
  assert.equal(
    loadNotificationConfig({ EMAIL_FROM: 'Orders <Orders@Mail.Example.COM>' }).messageIdDomain,
    'mail.example.com',
  );
  assert.equal(loadNotificationConfig({ EMAIL_FROM: 'orders@shop.test' }).messageIdDomain, 'shop.test');
});

test('an SMTP_URL that is not smtp:// or smtps://, or a sender without a domain, should fail the boot with PLT_CONFIG_INVALID', () => {
  for (const env of [
    { SMTP_URL: 'http://mail.example.com' },
    { EMAIL_FROM: 'orders' },
    { DEV_CHANNEL_LATENCY_MS: '-1' },
  ]) {
    assert.throws(() => loadNotificationConfig(env), { code: 'PLT_CONFIG_INVALID' }, JSON.stringify(env));
  }
});
