/**
 * The saga's deadlines on the real broker and database, with short timeouts: an unanswered charge is
 * re-sent with the same payment id and, after its expiry, given up and refunded; an unanswered
 * compensation parks the saga in COMPENSATION_FAILED (metric, alert) until the operator command retries it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually, operatorToken } from '@shop/test-support';
import { CHARGE_EXPIRY_SKEW_MARGIN_MS } from '../../src/domain/saga/saga-timing.ts';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

const STEP_TIMEOUT_MS = 400;
const CHARGE_EXPIRY_MS = 1_500;
const MAX_SETTLEMENT_ATTEMPTS = 2;
const CLI = fileURLToPath(new URL('../../../../tools/src/cli.ts', import.meta.url));

test('saga deadlines', async (t) => {
  const stack = await startOrderStack(t, {
    SAGA_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
    SAGA_CHARGE_EXPIRY_MS: String(CHARGE_EXPIRY_MS),
    SAGA_MAX_SETTLEMENT_ATTEMPTS: String(MAX_SETTLEMENT_ATTEMPTS),
    SAGA_DEADLINE_SCAN_INTERVAL_MS: '50',
  });
  const { api, inventory, outcomes, replies, service } = stack;

  async function place() {
    const response = await api.post('/orders', orderBody());
    assert.equal(response.status, 202);
    const orderId = response.body.orderId as string;
    await inventory.reserve(orderId, { unitPriceMinor: 500 });
    return orderId;
  }

  async function sagaOf(orderId: string) {
    return (await api.get(`/orders/${orderId}`)).body.saga as {
      state: string;
      steps: { step: string; attempt: number; status: string }[];
    };
  }

  async function metrics(): Promise<string> {
    return (await fetch(new URL('/metrics', service.url))).text();
  }

  await t.test(
    'an unanswered charge should be re-sent with the same payment id, then given up after its expiry and refunded',
    async () => {
      const orderId = await place();
      const first = await replies.command(orderId, 'ChargePayment');
      const second = await replies.command(orderId, 'ChargePayment', 2);
      const paymentIdOf = (recorded: typeof first) => (recorded.event.payload as { paymentId: string }).paymentId;
      assert.equal(paymentIdOf(second), paymentIdOf(first), 'the same idempotency key on every attempt');
      assert.equal(
        (second.event.payload as { expiresAt: string }).expiresAt,
        (first.event.payload as { expiresAt: string }).expiresAt,
        'the same expiry: re-sending never extends it',
      );

      const refund = await replies.command(orderId, 'RefundPayment');
      const expiresAt = Date.parse((first.event.payload as { expiresAt: string }).expiresAt);
      assert.ok(
        Date.parse(refund.meta.occurredAt) >= expiresAt + CHARGE_EXPIRY_SKEW_MARGIN_MS,
        'the refund is sent only once the Payment Service can no longer capture',
      );
      assert.equal((refund.event.payload as { paymentId: string }).paymentId, paymentIdOf(first));
      const saga = await sagaOf(orderId);
      const charges = saga.steps.filter((step) => step.step === 'CHARGE_PAYMENT');
      assert.ok(charges.length >= 2, `several attempts: ${JSON.stringify(charges)}`);
      assert.deepEqual(
        charges.map((step) => step.status),
        [...charges.slice(0, -1).map(() => 'TIMED_OUT'), 'ABANDONED'],
      );
      await replies.refund(orderId);
      await replies.released(orderId);
      const [cancelled] = await outcomes.waitForOrder(orderId);
      assert.equal(
        (cancelled?.event.payload as { reason: { code: string } } | undefined)?.reason.code,
        'PROCESSING_TIMEOUT',
      );
      assert.match(await metrics(), /^order_saga_step_timeouts_total\{step="CHARGE_PAYMENT"\} [1-9]/m);
    },
  );

  await t.test(
    'a compensation unanswered after every attempt should park the saga in COMPENSATION_FAILED until an operator retries it',
    async () => {
      const orderId = await place();
      await replies.decline(orderId);
      await replies.command(orderId, 'ReleaseReservation', MAX_SETTLEMENT_ATTEMPTS);
      await eventually(
        async () => ((await sagaOf(orderId)).state === 'COMPENSATION_FAILED' ? true : undefined),
        10_000,
        'saga parked',
      );
      const text = await metrics();
      assert.match(text, /^order_sagas\{state="COMPENSATION_FAILED"\} 1$/m);
      assert.match(text, /^order_saga_compensation_failures_total\{step="RELEASE_STOCK"\} 1$/m);
      await new Promise((resolve) => setTimeout(resolve, STEP_TIMEOUT_MS * 3));
      assert.equal(
        replies.commands(orderId, 'ReleaseReservation').length,
        MAX_SETTLEMENT_ATTEMPTS,
        'no automatic attempt once parked',
      );
      assert.equal((await api.get(`/orders/${orderId}`)).body.status, 'PENDING', 'not cancelled: the stock is held');

      // The operator command, as an operator runs it.
      const run = promisify(execFile);
      const { stdout } = await run(process.execPath, [
        CLI,
        'saga',
        'retry',
        orderId,
        '--order-url',
        service.url,
        '--token',
        await operatorToken(),
      ]);
      assert.match(stdout, /retried/);
      assert.match(stdout, /RELEASE_STOCK\s+#3\s+STARTED/);

      await replies.command(orderId, 'ReleaseReservation', MAX_SETTLEMENT_ATTEMPTS + 1);
      await replies.released(orderId);
      const [cancelled] = await outcomes.waitForOrder(orderId);
      assert.equal(
        (cancelled?.event.payload as { reason: { code: string } } | undefined)?.reason.code,
        'PAYMENT_DECLINED',
      );
      assert.equal((await sagaOf(orderId)).state, 'CANCELLED');
      assert.doesNotMatch(await metrics(), /^order_sagas\{state="COMPENSATION_FAILED"\} [1-9]/m);
      // Retrying a saga that is not parked is refused (checked once it is CANCELLED: with this test's short
      // timeouts, a saga still CANCELLING can park again within a second).
      const refused = await run(process.execPath, [
        CLI,
        'saga',
        'retry',
        orderId,
        '--order-url',
        service.url,
        '--token',
        await operatorToken(),
      ]).catch((error: { stderr: string; code: number }) => error);
      // The code parsed from the API's error body, not found somewhere in a dump of it.
      assert.match(
        String((refused as { stderr: string }).stderr),
        /^error \[ORD_SAGA_NOT_FAILED\]: HTTP 409: The saga is CANCELLED, not COMPENSATION_FAILED$/m,
      );
    },
  );
});
