import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { notificationKey, uuidV5 } from '../../src/domain/notification-key.ts';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

test('uuidV5 should match the RFC 9562 algorithm (the well-known www.example.com vector)', () => {
  assert.equal(uuidV5(DNS_NAMESPACE, 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

test('notificationKey should be the same for every delivery of the same order outcome on the same channel', () => {
  const orderId = randomUUID();
  assert.equal(
    notificationKey(orderId, 'OrderConfirmed', 'email'),
    notificationKey(orderId, 'OrderConfirmed', 'email'),
  );
  assert.equal(
    notificationKey(orderId.toUpperCase(), 'OrderConfirmed', 'email'),
    notificationKey(orderId, 'OrderConfirmed', 'email'),
    'letter case of the order id does not make a new notification',
  );
});

test('notificationKey should differ between channels, outcomes and orders', () => {
  const orderId = randomUUID();
  const keys = new Set([
    notificationKey(orderId, 'OrderConfirmed', 'email'),
    notificationKey(orderId, 'OrderConfirmed', 'sms'),
    notificationKey(orderId, 'OrderCancelled', 'email'),
    notificationKey(orderId, 'OrderCancelled', 'sms'),
    notificationKey(randomUUID(), 'OrderConfirmed', 'email'),
  ]);
  assert.equal(keys.size, 5);
  for (const key of keys) assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
