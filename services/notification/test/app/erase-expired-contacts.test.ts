/**
 * The contact retention job on the running service: contact data older than the retention is erased from
 * the delivery records and the development mailbox, newer contact data is kept, and every delivery record
 * stays as it was apart from its recipient.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '@shop/test-support';
import { devMailbox, listNotifications, startHarness, waitForSent } from '../support/harness.ts';
import { orderConfirmed } from '../support/outcome-events.ts';

test('contact data past its retention should be erased by the periodic job, newer contact data kept, and the delivery records kept', async (t) => {
  const { service, publish } = await startHarness(t, {
    env: { CONTACT_RETENTION_DAYS: '30', CONTACT_ERASURE_INTERVAL_MS: '200' },
  });
  const [old, recent] = [orderConfirmed(), orderConfirmed()];
  await publish(old, recent);
  const [oldBefore, recentBefore] = [
    await waitForSent(service, old.payload.orderId, 2),
    await waitForSent(service, recent.payload.orderId, 2),
  ];
  const { pool } = service.context;
  // The old order's rows as they would be 31 days on; the recent order's one day short of the retention.
  const age = async (orderId: string, days: number) => {
    await pool.query(`UPDATE notifications SET updated_at = now() - make_interval(days => $2) WHERE order_id = $1`, [
      orderId,
      days,
    ]);
    await pool.query(
      `UPDATE dev_channel_messages SET last_submitted_at = now() - make_interval(days => $2)
       WHERE idempotency_key IN (SELECT idempotency_key FROM notifications WHERE order_id = $1)`,
      [orderId, days],
    );
  };
  await age(old.payload.orderId, 31);
  await age(recent.payload.orderId, 29);

  const oldAfter = await eventually(
    async () => {
      const records = await listNotifications(service.url, old.payload.orderId);
      return records.every((record) => record.recipient === null) ? records : undefined;
    },
    15_000,
    'the old contact data erased',
  );
  // The statement that erased them also saw the recent rows, and left them.
  const recentAfter = await listNotifications(service.url, recent.payload.orderId);
  assert.deepEqual(
    recentAfter.map((record) => record.recipient).sort(),
    ['+441632960961', 'ada@example.com'],
    'newer contact data kept',
  );

  // The delivery records are kept: the same rows, sent, with everything but the recipient as before.
  const strip = (records: typeof oldBefore, keepRecipient = false) =>
    records.map(({ recipient, updatedAt: _u, contactErasedAt: _c, ...rest }) =>
      keepRecipient ? { ...rest, recipient } : rest,
    );
  assert.deepEqual(strip(oldAfter), strip(oldBefore));
  assert.deepEqual(strip(recentAfter, true), strip(recentBefore, true), 'the recent records unchanged');
  assert.ok(oldAfter.every((record) => record.status === 'sent' && record.contactErasedAt !== null));
  assert.ok(recentAfter.every((record) => record.contactErasedAt === null));

  // The two tables were aged by two statements: a pass of the job between them erased the delivery records
  // but not yet the mailbox rows, which the next pass does (a CI run asserted the mailbox too early).
  const mailboxOld = await eventually(
    async () => {
      const messages = await devMailbox(service, old.payload.orderId, 'OrderConfirmed');
      return messages.every((message) => message.recipient === null) ? messages : undefined;
    },
    15_000,
    'the old mailbox rows erased',
  );
  assert.equal(mailboxOld.length, 2, 'the mailbox rows are kept');
  const mailboxRecent = await devMailbox(service, recent.payload.orderId, 'OrderConfirmed');
  assert.ok(mailboxRecent.every((message) => message.recipient !== null));
});
