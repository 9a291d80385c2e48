import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { deadLetterTopicOf, FAILURE_HEADERS } from '@shop/contracts';
import { AppError } from '@shop/platform';
import { eventually, RETRY_TIER_WAIT_MS, readTopic } from '@shop/test-support';
import type { NotificationChannel } from '../../src/domain/channel.ts';
import { notificationKey } from '../../src/domain/notification-key.ts';
import { notificationError } from '../../src/errors.ts';
import { createNotifyCustomersHandler, toOutcomeEvent } from '../../src/events/notify-customers.ts';
import {
  deadLetterCount,
  devMailbox,
  listNotifications,
  publishOutcomes,
  startHarness,
  waitForSent,
} from '../support/harness.ts';
import { orderCancelled, orderConfirmed } from '../support/outcome-events.ts';

/** Wraps `inner` so that its first `failures` calls run `fail` instead of (or after) sending. */
function flaky(
  inner: NotificationChannel,
  failures: number,
  fail: (send: () => Promise<unknown>) => Promise<never>,
): NotificationChannel & { calls: number } {
  const wrapped = {
    kind: inner.kind,
    provider: inner.provider,
    calls: 0,
    async send(...args: Parameters<NotificationChannel['send']>) {
      wrapped.calls++;
      if (wrapped.calls <= failures) return fail(() => inner.send(...args));
      return inner.send(...args);
    },
  };
  return wrapped;
}

test('OrderConfirmed with an e-mail and a phone should send exactly one e-mail and one SMS, listed by GET /notifications', async (t) => {
  const { service, publish } = await startHarness(t);
  const event = orderConfirmed();
  const { orderId } = event.payload;
  await publish(event);

  const records = await waitForSent(service, orderId, 2);
  const byChannel = new Map(records.map((record) => [record.channel, record]));
  const email = byChannel.get('email');
  const sms = byChannel.get('sms');
  assert.equal(records.length, 2);
  assert.equal(email?.recipient, 'ada@example.com');
  assert.equal(email?.outcome, 'OrderConfirmed');
  assert.equal(email?.subject, `Your order ${orderId.slice(0, 8)} is confirmed`);
  assert.match(email?.body ?? '', /2 x MUG-RED\n {2}1 x TEE-M-BLK\nTotal: EUR 44\.99/);
  assert.equal(email?.idempotencyKey, notificationKey(orderId, 'OrderConfirmed', 'email'));
  assert.equal(email?.provider, 'dev');
  assert.equal(email?.attempts, 1);
  assert.ok(email?.sentAt && email.createdAt, 'timestamps');
  assert.equal(sms?.recipient, '+441632960961');
  assert.equal(sms?.subject, null);
  assert.equal(sms?.body, `Shop: your order ${orderId.slice(0, 8)} is confirmed. Total EUR 44.99.`);
  assert.equal(sms?.idempotencyKey, notificationKey(orderId, 'OrderConfirmed', 'sms'));

  const delivered = await devMailbox(service, orderId, 'OrderConfirmed');
  assert.deepEqual(delivered.map((message) => [message.channel, message.recipient, message.submissions]).sort(), [
    ['email', 'ada@example.com', 1],
    ['sms', '+441632960961', 1],
  ]);
  assert.equal(email?.providerMessageId, delivered.find((message) => message.channel === 'email')?.providerMessageId);

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /notifications_sent_total\{channel="email",outcome="OrderConfirmed"\} 1/);
  assert.match(metrics, /notifications_sent_total\{channel="sms",outcome="OrderConfirmed"\} 1/);
  assert.match(metrics, /notification_send_duration_seconds_count\{channel="sms",result="accepted"\} 1/);
});

test('OrderCancelled without a phone should send one e-mail that gives the reason in words', async (t) => {
  const { service, publish } = await startHarness(t);
  const event = orderCancelled({ reason: { code: 'PAYMENT_DECLINED', message: 'The card issuer declined.' } });
  const { orderId } = event.payload;
  await publish(event);

  // Both channels of one event are decided and recorded in one transaction: once the e-mail is visible,
  // an SMS would be too.
  const records = await waitForSent(service, orderId, 1);
  assert.deepEqual(
    records.map((record) => [record.channel, record.recipient, record.outcome]),
    [['email', 'grace@example.com', 'OrderCancelled']],
  );
  assert.equal(records[0]?.subject, `Your order ${orderId.slice(0, 8)} was cancelled`);
  assert.match(records[0]?.body ?? '', /was cancelled because your payment was declined\./);
  assert.match(records[0]?.body ?? '', /Details: The card issuer declined\./);
  assert.match(records[0]?.body ?? '', /You have not been charged\./);
  assert.equal((await devMailbox(service, orderId, 'OrderCancelled')).length, 1);
});

test('the same event delivered twice, and another event for the same outcome, should still notify once per channel', async (t) => {
  const { service, producer, namespace } = await startHarness(t);
  const confirmed = orderConfirmed();
  const { orderId } = confirmed.payload;
  const eventId = randomUUID();
  // Same key, so one partition, handled in this order; the cancellation after them is the marker that
  // everything before it was handled.
  await publishOutcomes(producer, namespace, [
    { event: confirmed, eventId },
    { event: confirmed, eventId },
    { event: confirmed, eventId: randomUUID() },
    {
      event: orderCancelled({
        orderId,
        contact: confirmed.payload.contact,
        reason: { code: 'CUSTOMER_CANCELLED', message: 'Cancelled at your request.' },
        refunded: { amountMinor: 4499, currency: 'EUR' },
      }),
    },
  ]);

  const records = await waitForSent(service, orderId, 4);
  assert.deepEqual(records.map((record) => `${record.outcome}/${record.channel}/${record.attempts}`).sort(), [
    'OrderCancelled/email/1',
    'OrderCancelled/sms/1',
    'OrderConfirmed/email/1',
    'OrderConfirmed/sms/1',
  ]);
  const confirmedRecords = records.filter((record) => record.outcome === 'OrderConfirmed');
  assert.ok(
    confirmedRecords.every((record) => record.eventId === eventId),
    'sent for the first event; the others found it recorded',
  );
  const delivered = await devMailbox(service, orderId, 'OrderConfirmed');
  assert.deepEqual(
    delivered.map((message) => message.submissions),
    [1, 1],
    'the provider was asked once per channel: the duplicates never reached it',
  );
  const refund = records.find((record) => record.outcome === 'OrderCancelled' && record.channel === 'sms');
  assert.match(refund?.body ?? '', /cancelled because you asked us to cancel it\. Refunded EUR 44\.99\./);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /notifications_skipped_total\{channel="email",outcome="OrderConfirmed"\} 1/);
  assert.match(
    metrics,
    /consumer_records_total\{consumer="notification-service.notify-customers",outcome="duplicate"\} 1/,
  );
});

test('a channel failing transiently twice should deliver once after the retry tiers, dead-letter nothing, and not re-send the other channel', async (t) => {
  let sms: ReturnType<typeof flaky> | undefined;
  const { service, namespace, publish } = await startHarness(t, {
    channels: (configured) => {
      sms = flaky(configured.sms, 2, async () => {
        throw notificationError('NTF_CHANNEL_UNAVAILABLE', 'SMS gateway unreachable (injected)');
      });
      return { ...configured, sms };
    },
  });
  const event = orderConfirmed();
  const { orderId } = event.payload;
  await publish(event);

  // The second send comes from the first retry tier, whose consumer group may still be joining on a machine
  // busy with parallel test files (a fresh-clone suite run took longer than 20 s once): a bounded, longer wait.
  const records = await waitForSent(service, orderId, 2, RETRY_TIER_WAIT_MS);
  const smsRecord = records.find((record) => record.channel === 'sms');
  assert.equal(sms?.calls, 3, 'failed in the source topic and retry tier 1, sent from tier 2');
  assert.equal(smsRecord?.attempts, 3);
  assert.equal(smsRecord?.lastError?.code, 'NTF_CHANNEL_UNAVAILABLE');
  assert.equal(records.find((record) => record.channel === 'email')?.attempts, 1);
  const delivered = await devMailbox(service, orderId, 'OrderConfirmed');
  assert.deepEqual(
    delivered.map((message) => [message.channel, message.submissions]).sort(),
    [
      ['email', 1],
      ['sms', 1],
    ],
    'the e-mail accepted on the first attempt was recorded then and not sent again by the retries',
  );
  assert.equal(await deadLetterCount(namespace), 0, 'nothing dead-lettered');
});

test('a provider’s own connection error should be retried through the tiers as a channel failure, not paused as our infrastructure', async (t) => {
  let sms: ReturnType<typeof flaky> | undefined;
  const { service, namespace, publish } = await startHarness(t, {
    channels: (configured) => {
      // What an HTTP SMS client throws when the gateway refuses the connection: the same code as our own
      // database being down, which the platform would retry in place, holding the partition.
      sms = flaky(configured.sms, 1, async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 203.0.113.7:443 (injected)'), { code: 'ECONNREFUSED' });
      });
      return { ...configured, sms };
    },
  });
  const event = orderConfirmed();
  await publish(event);

  const records = await waitForSent(service, event.payload.orderId, 2, RETRY_TIER_WAIT_MS);
  const smsRecord = records.find((record) => record.channel === 'sms');
  assert.equal(smsRecord?.lastError?.code, 'NTF_CHANNEL_FAILED');
  assert.equal(smsRecord?.attempts, 2);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(
    metrics,
    /consumer_records_total\{consumer="notification-service.notify-customers",outcome="retried"\} 1/,
  );
  assert.doesNotMatch(metrics, /consumer_infrastructure_retries_total\{[^}]*\} [1-9]/);
  assert.equal(await deadLetterCount(namespace), 0);
});

test('a send the provider accepted but we did not record should be re-sent with the same key and delivered once', async (t) => {
  let sms: ReturnType<typeof flaky> | undefined;
  const { service, namespace, publish } = await startHarness(t, {
    channels: (configured) => {
      // The provider accepts, then the answer is lost (a timeout after acceptance: the crash window seen
      // from the database, where no 'sent' record commits).
      sms = flaky(configured.sms, 1, async (send) => {
        await send();
        throw notificationError('NTF_CHANNEL_TIMEOUT', 'answer lost after the provider accepted (injected)');
      });
      return { ...configured, sms };
    },
  });
  const event = orderConfirmed();
  const { orderId } = event.payload;
  await publish(event);

  // The second send comes from the first retry tier, whose consumer group may still be joining on a machine
  // busy with parallel test files (a fresh-clone suite run took longer than 20 s once): a bounded, longer wait.
  const records = await waitForSent(service, orderId, 2, RETRY_TIER_WAIT_MS);
  const smsRecord = records.find((record) => record.channel === 'sms');
  const [delivered, ...more] = await devMailbox(service, orderId, 'OrderConfirmed', ['sms']);
  assert.equal(more.length, 0);
  assert.equal(sms?.calls, 2, 'sent again after the lost answer');
  assert.equal(delivered?.submissions, 2, 'the provider saw the key twice');
  assert.equal(delivered?.idempotencyKey, notificationKey(orderId, 'OrderConfirmed', 'sms'));
  assert.equal(smsRecord?.providerMessageId, delivered?.providerMessageId, 'and answered with the first message id');
  assert.equal(smsRecord?.attempts, 2);
  assert.equal(await deadLetterCount(namespace), 0);
});

test('a batch of 20 outcomes whose 8th e-mail fails once should send every notification once and that e-mail once more', async (t) => {
  const calls = new Map<string, number>();
  const events = Array.from({ length: 20 }, () => orderConfirmed());
  const failingKey = notificationKey((events[7] as (typeof events)[number]).payload.orderId, 'OrderConfirmed', 'email');
  let failed = false;
  const { service, namespace, publish } = await startHarness(t, {
    channels: (configured) => {
      const counted = (inner: NotificationChannel): NotificationChannel => ({
        kind: inner.kind,
        provider: inner.provider,
        async send(message, options) {
          calls.set(options.idempotencyKey, (calls.get(options.idempotencyKey) ?? 0) + 1);
          if (options.idempotencyKey === failingKey && !failed) {
            failed = true;
            throw notificationError('NTF_CHANNEL_UNAVAILABLE', 'e-mail provider unreachable (injected)');
          }
          return inner.send(message, options);
        },
      });
      return { email: counted(configured.email), sms: counted(configured.sms) };
    },
  });
  await publish(...events);

  for (const event of events) await waitForSent(service, event.payload.orderId, 2);
  assert.equal(calls.size, 40);
  for (const [key, count] of calls) assert.equal(count, key === failingKey ? 2 : 1, `channel calls for ${key}`);
  for (const event of events) {
    const delivered = await devMailbox(service, event.payload.orderId, 'OrderConfirmed');
    assert.deepEqual(
      delivered.map((message) => message.submissions),
      [1, 1],
    );
  }
  assert.equal(await deadLetterCount(namespace), 0);
});

test('a recipient the provider rejects for good should dead-letter the event at once and keep the other channel sent', async (t) => {
  let email: ReturnType<typeof flaky> | undefined;
  const { service, namespace, publish } = await startHarness(t, {
    channels: (configured) => {
      email = flaky(configured.email, Number.POSITIVE_INFINITY, async () => {
        throw notificationError('NTF_RECIPIENT_REJECTED', '550 5.1.1 mailbox unknown (injected)');
      });
      return { ...configured, email };
    },
  });
  const event = orderConfirmed();
  const { orderId } = event.payload;
  await publish(event);

  const dead = await readTopic(namespace.topic(deadLetterTopicOf('notifyCustomers').name), 1);
  assert.equal(dead[0]?.key, orderId);
  assert.equal(dead[0]?.headers.get(FAILURE_HEADERS.errorCode)?.toString(), 'NTF_RECIPIENT_REJECTED');
  assert.equal(dead[0]?.headers.get(FAILURE_HEADERS.kind)?.toString(), 'poison');
  assert.equal(email?.calls, 1, 'no retries for poison');

  const records = await eventually(
    async () => {
      const found = await listNotifications(service.url, orderId);
      return found.length === 2 ? found : undefined;
    },
    10_000,
    'both attempts recorded',
  );
  const byChannel = new Map(records.map((record) => [record.channel, record]));
  assert.equal(byChannel.get('email')?.status, 'failed');
  assert.equal(byChannel.get('email')?.lastError?.code, 'NTF_RECIPIENT_REJECTED');
  assert.equal(byChannel.get('sms')?.status, 'sent', 'the SMS went out and is recorded although the event failed');
});

test('an event type the catalog does not route to notifyCustomers should be refused as poison, never skipped', async () => {
  const placed = { type: 'OrderPlaced', version: 1, payload: { orderId: randomUUID(), lines: [] } } as never;
  assert.throws(
    () => toOutcomeEvent(placed),
    (error: unknown) =>
      error instanceof AppError && error.code === 'NTF_UNEXPECTED_EVENT_TYPE' && error.retryable === false,
  );
  const handler = createNotifyCustomersHandler(async () => assert.fail('nothing is delivered'));
  const item = { index: 4, event: placed, meta: {} as never, record: {} as never };
  const result = await handler([item], {} as never);
  assert.equal(result?.rejected?.length, 1);
  assert.equal(result?.rejected?.[0]?.index, 4);
  const error = result?.rejected?.[0]?.error;
  assert.ok(error instanceof AppError && error.code === 'NTF_UNEXPECTED_EVENT_TYPE' && !error.retryable);
});
