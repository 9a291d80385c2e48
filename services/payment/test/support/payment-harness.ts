/**
 * Boots the Payment Service in-process on the real broker and database (its own namespace and
 * database) with a simulated gateway the test can steer (decline rate, outages), and gives tests a
 * producer of the saga's payment commands, a reader of the payment results and direct reads of the
 * gateway's captures.
 */
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import {
  deadLetterTopicOf,
  decodeRecord,
  type EncodedRecord,
  type EventMeta,
  encodeEvent,
  newEventMeta,
  topicName,
} from '@shop/contracts';
import { createProducer, type RunningService } from '@shop/platform';
import {
  createTestNamespace,
  eventually,
  followTopic,
  serviceLogTail,
  startTestService,
  testKafkaConnection,
} from '@shop/test-support';
import type { Registry } from 'prom-client';
import { seededChargeDecision } from '../../src/domain/simulated-decision.ts';
import { paymentError } from '../../src/errors.ts';
import { SimulatedPaymentProvider } from '../../src/provider/simulated-provider.ts';
import { createPaymentService } from '../../src/service.ts';

/** Longest a test waits for the service to react to a record. */
export const REACTION_TIMEOUT_MS = 20_000;
const TEST_SEED = 'payment-test';
/** How far the service's clock jumps when a test moves it past an expiry. */
const CLOCK_JUMP_MS = 3_600_000;

export interface PaymentResult {
  type: string;
  payload: Record<string, unknown> & { orderId: string };
  meta: EventMeta;
}

export interface ChargeInput {
  orderId: string;
  paymentId: string;
  customerId: string;
  amountMinor: number;
  expiresAt: string;
}

export async function startPayment(t: TestContext) {
  const namespace = await createTestNamespace(t, 'pay');
  let declineRate = 0;
  // Payment ids whose next gateway charge succeeds at the gateway and then fails on our side (lost response).
  const loseNextResponse = new Map<string, { thenExpire: boolean }>();
  // Added to the service's clock (compared with ChargePayment.expiresAt): moves the service past an expiry.
  let clockOffsetMs = 0;
  // Gateway charge calls per idempotency key that reached the gateway (not failed by an outage).
  const chargeCalls = new Map<string, number>();
  // When set, the next charge call opens a gateway outage of this length first (so it starts on a known call).
  let pendingOutageMs: number | undefined;
  const service: RunningService = await startTestService(
    t,
    createPaymentService({
      now: () => new Date(Date.now() + clockOffsetMs),
      provider: (pool) => {
        const simulated = new SimulatedPaymentProvider(pool, {
          decide: (key) => seededChargeDecision(TEST_SEED, declineRate, key),
        });
        return {
          async authorizeAndCapture(request, options) {
            if (pendingOutageMs !== undefined) {
              const from = new Date();
              simulated.addOutage({ from, until: new Date(from.getTime() + pendingOutageMs) });
              pendingOutageMs = undefined;
            }
            const result = await simulated.authorizeAndCapture(request, options);
            chargeCalls.set(options.idempotencyKey, (chargeCalls.get(options.idempotencyKey) ?? 0) + 1);
            const lose = loseNextResponse.get(options.idempotencyKey);
            if (lose !== undefined) {
              loseNextResponse.delete(options.idempotencyKey);
              if (lose.thenExpire) clockOffsetMs = CLOCK_JUMP_MS;
              throw paymentError('PAY_PROVIDER_TIMEOUT', 'Injected: the gateway captured, its response was lost');
            }
            return result;
          },
          refund: (request, options) => simulated.refund(request, options),
          findCharge: (key) => simulated.findCharge(key),
        };
      },
    }),
    { namespace },
  );
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());

  const results: PaymentResult[] = [];
  await followTopic(t, namespace.topic(topicName('paymentResults')), (record) => {
    const decoded = decodeRecord(record.value, record.headers, { topic: topicName('paymentResults') });
    if (!decoded.ok) throw new Error(`Payment published an invalid record: ${decoded.code} ${decoded.reason}`);
    results.push({
      type: decoded.event.type,
      payload: decoded.event.payload as PaymentResult['payload'],
      meta: decoded.meta,
    });
  });
  const deadLetters: { key: string | undefined; headers: Map<string, string> }[] = [];
  await followTopic(t, namespace.topic(deadLetterTopicOf('processPayments').name), (record) => {
    deadLetters.push({
      key: record.key,
      headers: new Map([...record.headers].map(([name, value]) => [name, value.toString()])),
    });
  });
  const pool = service.context.pool;

  const harness = {
    url: service.url,
    service,
    registry: service.context.registry as Registry,
    results,
    /** Records that processPayments sent to its dead-letter topic, headers as text. */
    deadLetters,
    /** How many charge calls with this payment id the gateway answered (outage failures excluded). */
    gatewayChargeCalls: (paymentId: string) => chargeCalls.get(paymentId) ?? 0,
    /** The next charge call opens a simulated gateway outage of `durationMs`, and fails in it. */
    outageFromNextCharge(durationMs: number) {
      pendingOutageMs = durationMs;
    },
    /**
     * The next charge with this payment id is done at the gateway, then fails as if its response were lost;
     * with `thenExpire` the service's clock then jumps CLOCK_JUMP_MS ahead (past the command's expiry).
     */
    loseNextChargeResponse(paymentId: string, options: { thenExpire?: boolean } = {}) {
      loseNextResponse.set(paymentId, { thenExpire: options.thenExpire ?? false });
    },
    /** Puts the service's clock back to the real time. */
    resetClock() {
      clockOffsetMs = 0;
    },
    setDeclineRate(rate: number) {
      declineRate = rate;
    },
    resultsFor: (orderId: string) => results.filter((event) => event.payload.orderId === orderId),
    async waitForResults(orderId: string, count = 1): Promise<PaymentResult[]> {
      return eventually(
        async () => {
          const found = harness.resultsFor(orderId);
          return found.length >= count ? found : undefined;
        },
        REACTION_TIMEOUT_MS,
        `${count} result(s) for order ${orderId}`,
      );
    },
    newCharge(overrides: Partial<ChargeInput> = {}): ChargeInput {
      return {
        orderId: randomUUID(),
        paymentId: randomUUID(),
        customerId: randomUUID(),
        amountMinor: 4499,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
        ...overrides,
      };
    },
    charge(input: ChargeInput, eventId?: string): EncodedRecord {
      const meta = newEventMeta({
        type: 'ChargePayment',
        producer: 'order-service',
        correlationId: input.orderId,
        ...(eventId === undefined ? {} : { eventId }),
      });
      return encodeEvent({
        meta,
        payload: {
          orderId: input.orderId,
          paymentId: input.paymentId,
          customerId: input.customerId,
          amount: { amountMinor: input.amountMinor, currency: 'EUR' },
          expiresAt: input.expiresAt,
        },
      });
    },
    refund(input: { orderId: string; paymentId: string; refundId?: string; amountMinor: number }): EncodedRecord {
      const meta = newEventMeta({ type: 'RefundPayment', producer: 'order-service', correlationId: input.orderId });
      return encodeEvent({
        meta,
        payload: {
          orderId: input.orderId,
          paymentId: input.paymentId,
          refundId: input.refundId ?? randomUUID(),
          amount: { amountMinor: input.amountMinor, currency: 'EUR' },
        },
      });
    },
    async send(records: readonly EncodedRecord[]): Promise<void> {
      await producer.send({
        messages: records.map((record) => ({
          topic: namespace.topic(record.topic),
          key: record.key,
          value: record.value,
          headers: new Map(Object.entries(record.headers)),
        })),
      });
    },
    /**
     * Sends one command and returns the reply that answers it (matched by causation id). A reply that comes
     * through a retry tier is given RETRY_TIER_WAIT_MS (`timeoutMs`).
     */
    async sendAndReply(record: EncodedRecord, timeoutMs = REACTION_TIMEOUT_MS): Promise<PaymentResult> {
      await harness.send([record]);
      const orderId = record.key;
      return eventually(
        async () => harness.resultsFor(orderId).find((result) => result.meta.causationId === record.meta.eventId),
        timeoutMs,
        `the reply to ${record.meta.eventType} ${record.meta.eventId}`,
        async () => {
          // Whether the service did its part (a payment row, the outbox drained) or the reply was not read.
          const payments = await pool.query('SELECT status, created_at FROM payments WHERE order_id = $1', [orderId]);
          const outbox = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox');
          return [
            `payments of the order: ${JSON.stringify(payments.rows)}; outbox rows: ${outbox.rows[0]?.n}`,
            `replies read for the order: ${harness.resultsFor(orderId).length}`,
            serviceLogTail(service, 120),
          ].join('\n');
        },
      );
    },
    /** Waits until the outbox is empty: every committed reply has been published. */
    async outboxDrained(): Promise<void> {
      await eventually(
        async () => {
          const result = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox');
          return result.rows[0]?.n === '0' ? true : undefined;
        },
        REACTION_TIMEOUT_MS,
        'the outbox to drain',
      );
    },
    /** Captures the gateway holds for this payment id (the money that really moved). */
    async gatewayCaptures(paymentId: string): Promise<number> {
      const result = await pool.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM simulated_provider_charges WHERE idempotency_key = $1 AND outcome = 'CAPTURED'",
        [paymentId],
      );
      return Number(result.rows[0]?.n ?? 0);
    },
    /** The gateway's reference of the capture for this payment id, and the one recorded by the service. */
    async captureReferences(paymentId: string): Promise<{ gateway?: string; recorded?: string | null }> {
      const gatewayRow = await pool.query<{ reference: string }>(
        'SELECT reference FROM simulated_provider_charges WHERE idempotency_key = $1',
        [paymentId],
      );
      const recordedRow = await pool.query<{ provider_reference: string | null }>(
        'SELECT provider_reference FROM payments WHERE payment_id = $1',
        [paymentId],
      );
      return { gateway: gatewayRow.rows[0]?.reference, recorded: recordedRow.rows[0]?.provider_reference };
    },
    /** Money the gateway refunded for this payment id, in minor units. */
    async gatewayRefunded(paymentId: string): Promise<number> {
      const result = await pool.query<{ total: string }>(
        'SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM simulated_provider_refunds WHERE charge_key = $1',
        [paymentId],
      );
      return Number(result.rows[0]?.total ?? 0);
    },
  };
  return harness;
}

/** The value of one series (by its sample name, e.g. a histogram's `_count`); 0 when absent. */
export async function metricSample(
  registry: Registry,
  name: string,
  sample: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const found = values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? name) === sample &&
      Object.entries(labels).every(([label, expected]) => String(value.labels[label]) === expected),
  );
  return found?.value ?? 0;
}
