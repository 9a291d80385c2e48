/**
 * The load tool against a real stack whose gateway declines every tenth charge: the run ends with
 * a clean reconciliation that includes payments — every order final, stock conserved, one notification per
 * order and channel, and captured − refunded = the sum of the confirmed orders' totals, order by order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_AUTH_SECRET } from '@shop/test-support';
import { simulatedPaymentService, startStack } from '@shop/test-support/stack';
import { runLoad } from '../../tools/src/load/load-run.ts';

/** Every DECLINE_EVERY-th new charge is declined: exactly 10 %, whatever the timing. */
const DECLINE_EVERY = 10;

test('a load run with 10 % declined charges should reconcile, payments included', async (t) => {
  let charges = 0;
  const stack = await startStack(t, {
    env: { inventory: { SEED_DEMO_CATALOG: 'true' } },
    definitions: {
      payment: simulatedPaymentService({
        decide: () =>
          ++charges % DECLINE_EVERY === 0 ? { kind: 'decline', reason: 'CARD_DECLINED' } : { kind: 'capture' },
      }),
    },
  });
  const report = await runLoad({
    urls: {
      order: stack.order.url,
      inventory: stack.inventory.url,
      payment: stack.payment.url,
      notification: stack.notification.url,
      authSecret: TEST_AUTH_SECRET,
    },
    rate: 10,
    durationSeconds: 6,
    drainSeconds: 60,
    scarceShare: 0.1,
    checkNotifications: true,
  });
  const { reconciliation } = report;
  process.stdout.write(
    `# ${report.accepted} orders: ${report.completed.confirmed} confirmed, ${report.completed.cancelled} cancelled; ` +
      `${charges} charges; captured ${reconciliation.payments.capturedMinor}, confirmed total ${reconciliation.payments.confirmedTotalMinor}\n`,
  );
  assert.ok(report.accepted >= 50, `accepted ${report.accepted}`);
  assert.deepEqual(reconciliation.payments.mismatches, []);
  assert.equal(reconciliation.ok, true, JSON.stringify(reconciliation));
  assert.equal(
    reconciliation.payments.capturedMinor - reconciliation.payments.refundedMinor,
    reconciliation.payments.confirmedTotalMinor,
  );
  assert.ok(reconciliation.payments.confirmedTotalMinor > 0);

  const declined = await stack.payment.context.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM payments WHERE status = 'DECLINED'",
  );
  assert.ok(charges >= DECLINE_EVERY, `${charges} charges`);
  assert.equal(Number(declined.rows[0]?.n), Math.floor(charges / DECLINE_EVERY), 'every tenth charge declined');
  assert.ok(report.completed.cancelled >= Math.floor(charges / DECLINE_EVERY), 'each decline cancelled its order');
});
