import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { encodeEvent, FAILURE_HEADERS, HEADERS, newEventMeta } from '@shop/contracts';
import { bearer, customerToken, eventually, operatorToken, RETRY_TIER_WAIT_MS } from '@shop/test-support';
import { metricSample, REACTION_TIMEOUT_MS, startPayment } from '../support/payment-harness.ts';

/** How long the simulated gateway is down in the outage test: shorter than the retry tiers (100+200+300 ms) together. */
const OUTAGE_MS = 500;
/** After the outbox drained, how long a reply that should not exist is given to reach the reader. */
const READER_GRACE_MS = 500;

/** Payments are an operator's to read (reconciliation, support): customers see their order's total. */
const asOperator = async () => ({ headers: bearer(await operatorToken()) });

test('processPayments', async (t) => {
  const payment = await startPayment(t);

  await t.test('a charge should be captured once at the gateway and answered with PaymentCaptured', async () => {
    const charge = payment.newCharge({ amountMinor: 12_345 });
    const reply = await payment.sendAndReply(payment.charge(charge));
    assert.equal(reply.type, 'PaymentCaptured');
    assert.deepEqual(reply.payload, {
      orderId: charge.orderId,
      paymentId: charge.paymentId,
      amount: { amountMinor: 12_345, currency: 'EUR' },
    });
    assert.equal(await payment.gatewayCaptures(charge.paymentId), 1);

    const response = await fetch(`${payment.url}/payments?orderId=${charge.orderId}`, await asOperator());
    assert.equal(response.status, 200);
    const body = (await response.json()) as { payments: { paymentId: string; status: string }[]; refunds: unknown[] };
    assert.deepEqual(
      body.payments.map((p) => [p.paymentId, p.status]),
      [[charge.paymentId, 'CAPTURED']],
    );
    assert.deepEqual(body.refunds, []);
  });

  await t.test('GET /payments should be an operator’s: 401 without a token, 403 for a customer', async () => {
    const url = `${payment.url}/payments?orderId=${randomUUID()}`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'PLT_UNAUTHENTICATED');
    const customer = await fetch(url, { headers: bearer(await customerToken(randomUUID())) });
    assert.equal(customer.status, 403);
    assert.equal(((await customer.json()) as { error: { code: string } }).error.code, 'PLT_FORBIDDEN');
  });

  await t.test('GET /payments should reject an orderId that is not a UUID', async () => {
    const response = await fetch(`${payment.url}/payments?orderId=not-a-uuid`, await asOperator());
    assert.equal(response.status, 400);
  });

  await t.test('a charge at decline rate 100 % should be answered with PaymentDeclined and a reason', async (st) => {
    payment.setDeclineRate(1);
    st.after(() => payment.setDeclineRate(0));
    const charge = payment.newCharge();
    const reply = await payment.sendAndReply(payment.charge(charge));
    assert.equal(reply.type, 'PaymentDeclined');
    const reason = reply.payload.reason as { code: string; message: string };
    assert.ok(['INSUFFICIENT_FUNDS', 'CARD_DECLINED', 'SUSPECTED_FRAUD'].includes(reason.code), reason.code);
    assert.ok(reason.message.length > 0);
    assert.equal(await payment.gatewayCaptures(charge.paymentId), 0);
  });

  await t.test(
    'a charge delivered twice, and again with the same paymentId under a new event id, should capture once',
    async () => {
      const charge = payment.newCharge();
      const first = payment.charge(charge);
      await payment.send([first, first]);
      const resent = payment.charge(charge);
      const reply = await payment.sendAndReply(resent);
      assert.equal(reply.type, 'PaymentCaptured', 'the re-sent command is answered again');
      await payment.waitForResults(charge.orderId, 2);
      await payment.outboxDrained();
      await new Promise((resolve) => setTimeout(resolve, READER_GRACE_MS));
      const replies = payment.resultsFor(charge.orderId);
      assert.deepEqual(
        replies.map((r) => [r.type, r.meta.causationId]).sort(),
        [
          ['PaymentCaptured', first.meta.eventId],
          ['PaymentCaptured', resent.meta.eventId],
        ].sort(),
        'one reply per distinct event id: the redelivered copy was skipped by the inbox',
      );
      assert.equal(payment.gatewayChargeCalls(charge.paymentId), 1, 'the re-sent command was answered from the record');
      assert.equal(await payment.gatewayCaptures(charge.paymentId), 1);
    },
  );

  await t.test('an expired charge should be declined with CHARGE_EXPIRED and capture nothing', async () => {
    const charge = payment.newCharge({ expiresAt: new Date(Date.now() - 1_000).toISOString() });
    const reply = await payment.sendAndReply(payment.charge(charge));
    assert.equal(reply.type, 'PaymentDeclined');
    assert.equal((reply.payload.reason as { code: string }).code, 'CHARGE_EXPIRED');
    assert.equal(payment.gatewayChargeCalls(charge.paymentId), 0, 'the gateway was never asked to capture');
    assert.equal(await payment.gatewayCaptures(charge.paymentId), 0);
  });

  await t.test(
    'a refund of a capture should return the amount, and repeated refunds should return nothing more',
    async () => {
      const charge = payment.newCharge({ amountMinor: 5_000 });
      await payment.sendAndReply(payment.charge(charge));
      const refundId = randomUUID();
      const ids = { orderId: charge.orderId, paymentId: charge.paymentId };

      const refunded = await payment.sendAndReply(payment.refund({ ...ids, refundId, amountMinor: 5_000 }));
      assert.equal(refunded.type, 'PaymentRefunded');
      assert.deepEqual(refunded.payload, { ...ids, refundId, amount: { amountMinor: 5_000, currency: 'EUR' } });

      // Same refundId, new event: the same answer, no money moves (contract of PaymentRefunded).
      const repeated = await payment.sendAndReply(payment.refund({ ...ids, refundId, amountMinor: 5_000 }));
      assert.deepEqual(repeated.payload, refunded.payload);
      // A new refundId: nothing is left to refund.
      const another = await payment.sendAndReply(payment.refund({ ...ids, amountMinor: 5_000 }));
      assert.deepEqual(another.payload.amount, { amountMinor: 0, currency: 'EUR' });

      assert.equal(await payment.gatewayRefunded(charge.paymentId), 5_000);
      const body = (await (
        await fetch(`${payment.url}/payments?orderId=${charge.orderId}`, await asOperator())
      ).json()) as {
        payments: { refunded: { amountMinor: number } }[];
        refunds: { amount: { amountMinor: number } }[];
      };
      assert.equal(body.payments[0]?.refunded.amountMinor, 5_000);
      assert.deepEqual(
        body.refunds.map((r) => r.amount.amountMinor),
        [5_000, 0],
      );
    },
  );

  await t.test('a refund asking for more than was captured should return only the capture', async () => {
    const charge = payment.newCharge({ amountMinor: 1_000 });
    await payment.sendAndReply(payment.charge(charge));
    const reply = await payment.sendAndReply(
      payment.refund({ orderId: charge.orderId, paymentId: charge.paymentId, amountMinor: 9_999 }),
    );
    assert.deepEqual(reply.payload.amount, { amountMinor: 1_000, currency: 'EUR' });
    assert.equal(await payment.gatewayRefunded(charge.paymentId), 1_000);
  });

  await t.test('a refund in another currency than the capture should be dead-lettered and refund nothing', async () => {
    const charge = payment.newCharge({ amountMinor: 2_000 });
    await payment.sendAndReply(payment.charge(charge));
    const usd = encodeEvent({
      meta: newEventMeta({ type: 'RefundPayment', producer: 'order-service', correlationId: charge.orderId }),
      payload: {
        orderId: charge.orderId,
        paymentId: charge.paymentId,
        refundId: randomUUID(),
        amount: { amountMinor: 2_000, currency: 'USD' },
      },
    });
    await payment.send([usd]);
    const letter = await eventually(
      async () => payment.deadLetters.find((l) => l.headers.get(HEADERS.eventId) === usd.meta.eventId),
      REACTION_TIMEOUT_MS,
      'the dead letter of the USD refund',
    );
    assert.equal(letter.headers.get(FAILURE_HEADERS.errorCode), 'PAY_CURRENCY_MISMATCH');
    assert.equal(await payment.gatewayRefunded(charge.paymentId), 0);
    assert.equal(payment.resultsFor(charge.orderId).length, 1, 'only the capture was answered');
  });

  await t.test('a refund when nothing was captured should be answered with amount 0', async () => {
    const neverCharged = payment.newCharge();
    const reply = await payment.sendAndReply(
      payment.refund({ orderId: neverCharged.orderId, paymentId: neverCharged.paymentId, amountMinor: 4_499 }),
    );
    assert.equal(reply.type, 'PaymentRefunded');
    assert.deepEqual(reply.payload.amount, { amountMinor: 0, currency: 'EUR' });

    const expired = payment.newCharge({ expiresAt: new Date(Date.now() - 1_000).toISOString() });
    await payment.sendAndReply(payment.charge(expired));
    const afterDecline = await payment.sendAndReply(
      payment.refund({ orderId: expired.orderId, paymentId: expired.paymentId, amountMinor: 4_499 }),
    );
    assert.deepEqual(afterDecline.payload.amount, { amountMinor: 0, currency: 'EUR' });
    assert.equal(await payment.gatewayRefunded(expired.paymentId), 0);
  });

  await t.test(
    'a charge during a gateway outage should be retried through the tiers and captured once after it',
    async () => {
      const errorsBefore = await metricSample(
        payment.registry,
        'payment_provider_call_seconds',
        'payment_provider_call_seconds_count',
        { operation: 'authorizeAndCapture', result: 'error' },
      );
      const charge = payment.newCharge();
      payment.outageFromNextCharge(OUTAGE_MS);
      const sentAt = Date.now();
      const reply = await payment.sendAndReply(payment.charge(charge), RETRY_TIER_WAIT_MS);
      assert.equal(reply.type, 'PaymentCaptured');
      assert.ok(Date.now() >= sentAt + OUTAGE_MS, 'captured only after the outage');
      const errors = await metricSample(
        payment.registry,
        'payment_provider_call_seconds',
        'payment_provider_call_seconds_count',
        { operation: 'authorizeAndCapture', result: 'error' },
      );
      assert.ok(errors > errorsBefore, 'the gateway failed at least once during the outage');
      assert.equal(await payment.gatewayCaptures(charge.paymentId), 1);
      assert.equal(payment.resultsFor(charge.orderId).length, 1);
    },
  );

  await t.test(
    'a charge whose response is lost after the gateway captured should be retried with the same key and captured once',
    async () => {
      const charge = payment.newCharge();
      payment.loseNextChargeResponse(charge.paymentId);
      const reply = await payment.sendAndReply(payment.charge(charge));
      assert.equal(reply.type, 'PaymentCaptured');
      assert.equal(payment.gatewayChargeCalls(charge.paymentId), 2, 'the gateway was asked again after the failure');
      assert.equal(await payment.gatewayCaptures(charge.paymentId), 1);
      const references = await payment.captureReferences(charge.paymentId);
      assert.ok(references.gateway);
      assert.equal(references.recorded, references.gateway, 'the recorded capture is the first (and only) one');
      assert.equal(payment.resultsFor(charge.orderId).length, 1, 'the failed attempt published nothing');
    },
  );

  await t.test(
    'a charge captured before its expiry whose response was lost should be answered PaymentCaptured when retried after the expiry',
    async (st) => {
      st.after(() => payment.resetClock());
      const charge = payment.newCharge();
      payment.loseNextChargeResponse(charge.paymentId, { thenExpire: true });
      const reply = await payment.sendAndReply(payment.charge(charge));
      assert.equal(reply.type, 'PaymentCaptured', 'the capture that happened is reported, not declined as expired');
      assert.equal(payment.gatewayChargeCalls(charge.paymentId), 1, 'the retry after the expiry did not charge');
      const references = await payment.captureReferences(charge.paymentId);
      assert.equal(references.recorded, references.gateway);
    },
  );

  await t.test('the outcome counters should count captures, declines and refunds', async () => {
    const value = (name: string, outcome: string) => metricSample(payment.registry, name, name, { outcome });
    await eventually(
      async () => ((await value('payment_charges_total', 'captured')) >= 5 ? true : undefined),
      REACTION_TIMEOUT_MS,
      'captures counted',
    );
    assert.ok((await value('payment_charges_total', 'declined')) >= 1);
    assert.ok((await value('payment_charges_total', 'expired')) >= 2);
    assert.ok((await value('payment_charges_total', 'repeated')) >= 1);
    assert.ok((await value('payment_refunds_total', 'refunded')) >= 2);
    assert.ok((await value('payment_refunds_total', 'nothing')) >= 3);
    assert.ok((await value('payment_refunds_total', 'repeated')) >= 1);
  });
});
