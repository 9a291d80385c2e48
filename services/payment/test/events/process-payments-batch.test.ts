/**
 * The processPayments batch handler called directly on a real transaction of a migrated payments database
 * (as the consumer runner calls it), with the simulated gateway on its own pool. Every statement sent to
 * the database is counted, on the batch's transaction and on the gateway's connections.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DecodedEvent, newEventMeta } from '@shop/contracts';
import {
  type BatchResult,
  createEventWriter,
  createLogger,
  createPool,
  type EventBatchItem,
  inTransaction,
  isAppError,
  kafkaNamespace,
  migrate,
  type Pool,
  platformMigrations,
} from '@shop/platform';
import { createTestDatabase } from '@shop/test-support';
import { Registry } from 'prom-client';
import { seededChargeDecision } from '../../src/domain/simulated-decision.ts';
import { paymentError } from '../../src/errors.ts';
import { createProcessPaymentsHandler } from '../../src/events/process-payments.ts';
import { createPaymentMetrics } from '../../src/metrics.ts';
import type { PaymentProvider } from '../../src/provider/payment-provider.ts';
import { SimulatedPaymentProvider } from '../../src/provider/simulated-provider.ts';

/** The batch size the throughput target is stated for. */
const BATCH = 20;
/** Target: statements per order in the payments database at batches of BATCH or more. */
const MAX_STATEMENTS_PER_ORDER = 3;
/** The statement the runner adds to every batch transaction (the inbox insert), counted with the handler's. */
const RUNNER_STATEMENTS_PER_BATCH = 1;

/** A pool whose every statement (pool.query and checked-out clients alike) is counted. */
function countingPool(url: string, max: number): { pool: Pool; statements: () => number } {
  let statements = 0;
  const pool = createPool(url, { max, applicationName: 'test counting' });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      statements++;
      return query(...args);
    };
  });
  return { pool, statements: () => statements };
}

async function setUp(t: TestContext, wrap: (gateway: PaymentProvider) => PaymentProvider = (gateway) => gateway) {
  const db = await createTestDatabase(t, 'paybatch');
  await migrate(db.pool, [
    platformMigrations,
    { name: 'payment-service', directory: fileURLToPath(new URL('../../src/db/migrations/', import.meta.url)) },
  ]);
  const service = countingPool(db.url, 2);
  const gatewayPool = countingPool(db.url, 8);
  t.after(async () => {
    await service.pool.end();
    await gatewayPool.pool.end();
  });
  const gateway = new SimulatedPaymentProvider(gatewayPool.pool, {
    decide: (key) => seededChargeDecision('batch-test', 0, key),
  });
  const handler = createProcessPaymentsHandler({
    events: createEventWriter({ service: 'payment-service', namespace: kafkaNamespace('') }),
    provider: wrap(gateway),
    metrics: createPaymentMetrics(new Registry()),
    now: () => new Date(),
  });
  const logger = createLogger({ level: 'silent', service: 'payment-test' });
  let index = 0;
  return {
    pool: db.pool,
    serviceStatements: service.statements,
    gatewayStatements: gatewayPool.statements,
    /** Runs the handler on one transaction, as the runner does (the inbox statement is not sent here). */
    run(items: readonly EventBatchItem[]): Promise<BatchResult | undefined> {
      return inTransaction(service.pool, (client) => handler(items, { client, logger }));
    },
    /** Runs the handler, then rolls its transaction back, as when the commit or a later item fails. */
    async runAndRollBack(items: readonly EventBatchItem[]): Promise<void> {
      await assert.rejects(
        inTransaction(service.pool, async (client) => {
          await handler(items, { client, logger });
          throw new Error('rolled back on purpose');
        }),
        /rolled back on purpose/,
      );
    },
    item(event: DecodedEvent): EventBatchItem {
      const meta = newEventMeta({
        type: event.type,
        producer: 'order-service',
        correlationId: (event.payload as { orderId: string }).orderId,
      });
      return { index: index++, event, meta, record: {} as EventBatchItem['record'] };
    },
    async replies(): Promise<Array<{ type: string; causation: string }>> {
      const result = await db.pool.query<{ event_type: string; causation: string }>(
        "SELECT event_type, headers->>'causation-id' AS causation FROM outbox ORDER BY id",
      );
      return result.rows.map((row) => ({ type: row.event_type, causation: row.causation }));
    },
    async count(sql: string, params: unknown[] = []): Promise<number> {
      const row = (await db.pool.query<Record<string, unknown>>(sql, params)).rows[0];
      return Number(row === undefined ? undefined : Object.values(row)[0]);
    },
  };
}

function chargeEvent(amountMinor = 2_500): DecodedEvent & { type: 'ChargePayment' } {
  return {
    type: 'ChargePayment',
    version: 1,
    payload: {
      orderId: randomUUID(),
      paymentId: randomUUID(),
      customerId: randomUUID(),
      amount: { amountMinor, currency: 'EUR' },
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    },
  } as DecodedEvent & { type: 'ChargePayment' };
}

function refundEvent(
  charge: { payload: { orderId: string; paymentId: string } },
  amountMinor: number,
  refundId = randomUUID(),
): DecodedEvent {
  const { orderId, paymentId } = charge.payload;
  return {
    type: 'RefundPayment',
    version: 1,
    payload: { orderId, paymentId, refundId, amount: { amountMinor, currency: 'EUR' } },
  } as DecodedEvent;
}

test('processPayments batch handler', async (t) => {
  await t.test(
    `a batch of ${BATCH} charges, then one of ${BATCH} refunds, should answer every item in order within ${MAX_STATEMENTS_PER_ORDER} statements per order`,
    async (st) => {
      const h = await setUp(st);
      const charges = Array.from({ length: BATCH }, () => chargeEvent());
      const chargeItems = charges.map((event) => h.item(event));
      const before = { service: h.serviceStatements(), gateway: h.gatewayStatements() };
      assert.deepEqual(await h.run(chargeItems), {});
      const chargeCost = {
        service: h.serviceStatements() - before.service + RUNNER_STATEMENTS_PER_BATCH,
        gateway: h.gatewayStatements() - before.gateway,
      };
      const refundItems = charges.map((event) => h.item(refundEvent(event, 2_500)));
      const middle = { service: h.serviceStatements(), gateway: h.gatewayStatements() };
      assert.deepEqual(await h.run(refundItems), {});
      const refundCost = {
        service: h.serviceStatements() - middle.service + RUNNER_STATEMENTS_PER_BATCH,
        gateway: h.gatewayStatements() - middle.gateway,
      };
      st.diagnostic(
        `charges: ${chargeCost.service} statements on the batch transaction + ${chargeCost.gateway} at the gateway for ${BATCH} orders = ${((chargeCost.service + chargeCost.gateway) / BATCH).toFixed(2)} per order`,
      );
      st.diagnostic(
        `refunds: ${refundCost.service} statements on the batch transaction + ${refundCost.gateway} at the gateway for ${BATCH} orders = ${((refundCost.service + refundCost.gateway) / BATCH).toFixed(2)} per order`,
      );
      assert.ok((chargeCost.service + chargeCost.gateway) / BATCH <= MAX_STATEMENTS_PER_ORDER, 'charges');
      assert.ok((refundCost.service + refundCost.gateway) / BATCH <= MAX_STATEMENTS_PER_ORDER, 'refunds');

      const replies = await h.replies();
      assert.deepEqual(
        replies.map((reply) => reply.type),
        [...charges.map(() => 'PaymentCaptured'), ...charges.map(() => 'PaymentRefunded')],
      );
      assert.deepEqual(
        replies.map((reply) => reply.causation),
        [...chargeItems, ...refundItems].map((item) => item.meta.eventId),
        'one reply per item, in batch order',
      );
      assert.equal(
        await h.count("SELECT count(*) FROM payments WHERE status = 'CAPTURED' AND refunded_minor = 2500"),
        BATCH,
      );
      assert.equal(await h.count('SELECT sum(amount_minor) FROM simulated_provider_refunds'), BATCH * 2_500);
    },
  );

  await t.test(
    'a batch run again after its transaction rolled back should capture once per payment and record the first capture',
    async (st) => {
      const h = await setUp(st);
      const items = Array.from({ length: 5 }, () => h.item(chargeEvent()));
      await h.runAndRollBack(items);
      assert.equal(await h.count('SELECT count(*) FROM payments'), 0, 'nothing recorded by the rolled-back run');
      assert.equal(await h.count("SELECT count(*) FROM simulated_provider_charges WHERE outcome = 'CAPTURED'"), 5);
      // As after a split: the runner calls the handler again with a subset, then with the rest.
      await h.run(items.slice(0, 2));
      await h.run(items.slice(2));
      assert.equal(await h.count("SELECT count(*) FROM simulated_provider_charges WHERE outcome = 'CAPTURED'"), 5);
      assert.equal(
        await h.count(
          `SELECT count(*) FROM payments p JOIN simulated_provider_charges c ON c.idempotency_key = p.payment_id::text
           WHERE p.provider_reference = c.reference`,
        ),
        5,
        'each recorded capture is the gateway’s first and only one',
      );
      assert.equal((await h.replies()).length, 5);
    },
  );

  await t.test('a charge and refunds of the same payment in one batch should apply one after the other', async (st) => {
    const h = await setUp(st);
    const charge = chargeEvent(4_000);
    const repeatedRefundId = randomUUID();
    const items = [
      h.item(charge),
      h.item(refundEvent(charge, 3_000, repeatedRefundId)),
      h.item(refundEvent(charge, 3_000)),
      h.item(refundEvent(charge, 3_000, repeatedRefundId)),
      h.item(charge),
    ];
    await h.run(items);
    const amounts = await h.pool.query<{ event_type: string; amount: string | null }>(
      "SELECT event_type, convert_from(payload, 'UTF8')::jsonb #>> '{amount,amountMinor}' AS amount FROM outbox ORDER BY id",
    );
    assert.deepEqual(
      amounts.rows.map((row) => `${row.event_type} ${row.amount}`),
      [
        'PaymentCaptured 4000',
        'PaymentRefunded 3000',
        'PaymentRefunded 1000',
        'PaymentRefunded 3000',
        'PaymentCaptured 4000',
      ],
    );
    assert.equal(await h.count('SELECT refunded_minor FROM payments'), 4_000);
    assert.equal(
      await h.count('SELECT count(*) FROM refunds'),
      2,
      'the repeated refund id was answered from the first',
    );
    assert.equal(await h.count('SELECT sum(amount_minor) FROM simulated_provider_refunds'), 4_000);
  });

  await t.test(
    'a gateway failure of one command should reject that item alone and commit the others with their replies',
    async (st) => {
      const failing = new Set<string>();
      const h = await setUp(st, (gateway) => ({
        ...gateway,
        authorizeAndCapture: async (request, options) => {
          if (failing.has(options.idempotencyKey)) throw paymentError('PAY_PROVIDER_UNAVAILABLE', 'injected outage');
          return gateway.authorizeAndCapture(request, options);
        },
        refund: (request, options) => gateway.refund(request, options),
        findCharge: (key) => gateway.findCharge(key),
      }));
      const events = Array.from({ length: 6 }, () => chargeEvent());
      failing.add((events[3] as ReturnType<typeof chargeEvent>).payload.paymentId);
      const items = events.map((event) => h.item(event));
      const result = await h.run(items);
      assert.equal(result?.rejected?.length, 1);
      assert.equal(result?.rejected?.[0]?.index, items[3]?.index);
      const error = result?.rejected?.[0]?.error;
      assert.ok(isAppError(error) && error.code === 'PAY_PROVIDER_UNAVAILABLE' && error.retryable);
      assert.equal(await h.count('SELECT count(*) FROM payments'), 5);
      assert.deepEqual(
        (await h.replies()).map((reply) => reply.causation),
        items.filter((_, i) => i !== 3).map((item) => item.meta.eventId),
      );
    },
  );

  await t.test(
    'an infrastructure failure at the gateway should fail the whole batch, not reject an item',
    async (st) => {
      const h = await setUp(st, (gateway) => ({
        ...gateway,
        authorizeAndCapture: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED (injected)'), { code: 'ECONNREFUSED' });
        },
        refund: (request, options) => gateway.refund(request, options),
        findCharge: (key) => gateway.findCharge(key),
      }));
      await assert.rejects(h.run([h.item(chargeEvent()), h.item(chargeEvent())]), { code: 'ECONNREFUSED' });
    },
  );

  await t.test('an event type processPayments does not handle should be rejected as poison', async (st) => {
    const h = await setUp(st);
    const other = { type: 'OrderPlaced', version: 1, payload: { orderId: randomUUID() } } as unknown as DecodedEvent;
    const items = [h.item(chargeEvent()), h.item(other)];
    const result = await h.run(items);
    const error = result?.rejected?.[0]?.error;
    assert.equal(result?.rejected?.[0]?.index, items[1]?.index);
    assert.ok(isAppError(error) && error.code === 'PAY_UNEXPECTED_EVENT' && !error.retryable);
    assert.equal((await h.replies()).length, 1);
  });
});
