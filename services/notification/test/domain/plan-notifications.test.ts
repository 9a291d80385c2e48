import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER_CANCEL_REASONS } from '@shop/contracts';
import { notificationKey } from '../../src/domain/notification-key.ts';
import { planNotifications } from '../../src/domain/plan-notifications.ts';
import { CANCEL_REASON_TEXT, MAX_SMS_LENGTH } from '../../src/domain/templates.ts';

const ORDER_ID = '0b5c2b1e-6a55-4e4b-8f3f-1f0e3c9d7a21';

test('a confirmed order with a phone should plan one e-mail with the lines and total, and one SMS', () => {
  const planned = planNotifications({
    type: 'OrderConfirmed',
    payload: {
      orderId: ORDER_ID,
      contact: { email: 'ada@example.com', phone: '+441632960961' },
      lines: [
        { sku: 'MUG-RED', quantity: 2 },
        { sku: 'TEE-M-BLK', quantity: 1 },
      ],
      total: { amountMinor: 4499, currency: 'EUR' },
    },
  });
  assert.deepEqual(
    planned.map((item) => [item.channel, item.message.to, item.key]),
    [
      ['email', 'ada@example.com', notificationKey(ORDER_ID, 'OrderConfirmed', 'email')],
      ['sms', '+441632960961', notificationKey(ORDER_ID, 'OrderConfirmed', 'sms')],
    ],
  );
  const [email, sms] = planned;
  assert.equal(email?.message.subject, 'Your order 0b5c2b1e is confirmed');
  assert.match(email?.message.text ?? '', /2 x MUG-RED\n {2}1 x TEE-M-BLK\nTotal: EUR 44\.99/);
  assert.match(email?.message.text ?? '', new RegExp(ORDER_ID));
  assert.equal(sms?.message.subject, undefined);
  assert.equal(sms?.message.text, 'Shop: your order 0b5c2b1e is confirmed. Total EUR 44.99.');
});

test('a cancelled order without a phone should plan one e-mail only', () => {
  const planned = planNotifications({
    type: 'OrderCancelled',
    payload: {
      orderId: ORDER_ID,
      contact: { email: 'ada@example.com' },
      reason: { code: 'ITEMS_UNAVAILABLE', message: 'MUG-RED: only 1 left.' },
    },
  });
  assert.deepEqual(
    planned.map((item) => item.channel),
    ['email'],
  );
  const text = planned[0]?.message.text ?? '';
  assert.match(text, /was cancelled because some of the items are not available in the quantity you ordered\./);
  assert.match(text, /Details: MUG-RED: only 1 left\./);
  assert.match(text, /You have not been charged\./);
});

test('every cancel reason code should have its own sentence, and the SMS should fit one segment with a refund', () => {
  const sentences = new Set<string>();
  for (const code of ORDER_CANCEL_REASONS) {
    const planned = planNotifications({
      type: 'OrderCancelled',
      payload: {
        orderId: ORDER_ID,
        contact: { email: 'ada@example.com', phone: '+441632960961' },
        reason: { code, message: 'x'.repeat(500) },
        refunded: { amountMinor: Number.MAX_SAFE_INTEGER, currency: 'EUR' },
      },
    });
    const [email, sms] = planned;
    assert.match(email?.message.text ?? '', new RegExp(`because ${CANCEL_REASON_TEXT[code]}\\.`));
    assert.match(email?.message.text ?? '', /We have refunded EUR 90,071,992,547,409\.91 to your payment method\./);
    assert.ok((sms?.message.text.length ?? 0) <= MAX_SMS_LENGTH, `${code}: SMS within ${MAX_SMS_LENGTH} chars`);
    assert.ok(sms?.message.text.includes(CANCEL_REASON_TEXT[code]), `${code}: SMS states the reason in full`);
    assert.ok(!sms?.message.text.endsWith('…'), `${code}: SMS not cut`);
    sentences.add(CANCEL_REASON_TEXT[code]);
  }
  assert.equal(sentences.size, ORDER_CANCEL_REASONS.length);
});

test('a reason code outside the contract’s list should still say the order was cancelled, with the event’s own reason', () => {
  const [email] = planNotifications({
    type: 'OrderCancelled',
    payload: {
      orderId: ORDER_ID,
      contact: { email: 'ada@example.com' },
      reason: { code: 'SOMETHING_NEW', message: 'The warehouse flooded.' },
    },
  });
  assert.match(
    email?.message.text ?? '',
    /was cancelled because of a problem with it\.\nDetails: The warehouse flooded\./,
  );
});
