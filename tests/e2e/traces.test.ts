import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTracing, stopTracing } from '@shop/platform';
import { customerToken, eventually, uniqueName } from '@shop/test-support';
import { http, notifications, putStock, settled, startStack } from '@shop/test-support/stack';

const SERVICES = ['order-service', 'inventory-service', 'payment-service', 'notification-service'];

function attribute(span: ReadableSpan, name: string): unknown {
  return span.attributes[name];
}

function describe(span: ReadableSpan): string {
  return `${span.instrumentationScope.name} ${SpanKind[span.kind]} ${span.name}`;
}

/**
 * What must hold once the order's flow is traced to its end: every hop over Kafka is a producer span and a
 * consumer span of the same message, the consumer's parent being the producer, each producer's parent being
 * the request (the first event) or the consumer span of the record that caused its event. Returns the
 * problems (empty when the chain is whole).
 */
function chainProblems(spans: readonly ReadableSpan[], request: ReadableSpan): string[] {
  const traceId = request.spanContext().traceId;
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const problems: string[] = [];
  const messaging = spans.filter((span) => span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CONSUMER);
  for (const span of messaging) {
    // The stack is this test's alone and one order is placed: every message belongs to that order's trace.
    if (span.spanContext().traceId !== traceId) problems.push(`${describe(span)} is in another trace`);
    const parent = span.parentSpanContext === undefined ? undefined : byId.get(span.parentSpanContext.spanId);
    if (span.kind === SpanKind.CONSUMER) {
      if (parent?.kind !== SpanKind.PRODUCER) {
        problems.push(`${describe(span)} has no exported producer span as its parent`);
      } else if (attribute(parent, 'messaging.message.id') !== attribute(span, 'messaging.message.id')) {
        problems.push(`${describe(span)} is parented by the send of another message`);
      }
    } else if (parent !== request && parent?.kind !== SpanKind.CONSUMER) {
      problems.push(`${describe(span)} is parented neither by the request nor by a consumer span`);
    }
  }
  const confirmedToCustomer = messaging.some(
    (span) =>
      span.kind === SpanKind.CONSUMER &&
      span.instrumentationScope.name === 'notification-service' &&
      String(attribute(span, 'messaging.destination.name')).endsWith('order-service.order-outcomes'),
  );
  if (!confirmedToCustomer) problems.push('no consumer span of the notification service for the order outcome');
  return problems;
}

test('one order is one trace from POST /orders to the notification sent, across the four services', async (t) => {
  const exporter = new InMemorySpanExporter();
  // Before the services start: each takes its tracer when it is built.
  startTracing({ serviceName: 'e2e-traces', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const stack = await startStack(t);
  // Registered after the stack's hooks, so it runs after the services stopped.
  t.after(() => stopTracing());
  const sku = uniqueName('TRACED')
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
  await putStock(stack.inventory.url, sku, 5);

  // The caller's own trace: the request's span must continue it.
  const callerTraceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const placed = await http<{ orderId: string }>(`${stack.order.url}/orders`, {
    method: 'POST',
    headers: { traceparent: `00-${callerTraceId}-${callerSpanId}-01` },
    token: await customerToken(crypto.randomUUID()),
    body: {
      items: [{ sku, quantity: 1 }],
      contact: { email: 'customer@example.com', phone: '+4915112345678' },
    },
  });
  assert.equal(placed.status, 202);
  const orderId = placed.body.orderId;
  assert.equal((await settled(stack.order.url, orderId)).status, 'CONFIRMED');
  await eventually(
    async () => ((await notifications(stack.notification.url, orderId)).length >= 2 ? true : undefined),
    20_000,
    'the email and the SMS',
  );

  const request = exporter
    .getFinishedSpans()
    .find((span) => span.kind === SpanKind.SERVER && span.name === 'POST /orders');
  assert.ok(request, 'a server span for POST /orders');
  assert.equal(request.instrumentationScope.name, 'order-service');
  assert.equal(request.spanContext().traceId, callerTraceId, 'the request continues the caller trace');
  assert.equal(request.parentSpanContext?.spanId, callerSpanId);
  assert.equal(request.attributes['http.response.status_code'], 202);

  // The last spans of the flow end after the notifications are recorded: wait until the chain is whole.
  let problems: string[] = [];
  const spans = await eventually(
    async () => {
      const finished = exporter.getFinishedSpans();
      problems = chainProblems(finished, request);
      return problems.length === 0 ? finished : undefined;
    },
    20_000,
    'a whole chain of spans',
  ).catch((error: Error) => {
    throw new Error(`${error.message}:\n  ${problems.join('\n  ')}`, { cause: error });
  });

  const inTrace = spans.filter((span) => span.spanContext().traceId === callerTraceId);
  assert.deepEqual(
    [...new Set(inTrace.map((span) => span.instrumentationScope.name))].sort(),
    [...SERVICES].sort(),
    'the trace covers the four services',
  );
  for (const service of SERVICES.filter((name) => name !== 'order-service')) {
    assert.ok(
      inTrace.some((span) => span.instrumentationScope.name === service && span.kind === SpanKind.CONSUMER),
      `${service} consumed within the trace`,
    );
  }
  const orderPlaced = inTrace.find(
    (span) =>
      span.kind === SpanKind.PRODUCER &&
      String(attribute(span, 'messaging.destination.name')).endsWith('order-service.order-placed'),
  );
  assert.ok(orderPlaced, 'OrderPlaced was sent within the trace');
  assert.equal(
    orderPlaced.parentSpanContext?.spanId,
    request.spanContext().spanId,
    'OrderPlaced continues the request',
  );
  // Each service's consumer batches run in database transactions, traced under the records they serve.
  const transactions = inTrace.filter((span) => span.attributes['db.system.name'] === 'postgresql');
  assert.ok(
    SERVICES.filter((name) => name !== 'order-service').every((service) =>
      transactions.some((span) => span.instrumentationScope.name === service),
    ),
    `a transaction span of every consuming service: ${transactions.map(describe).join(', ')}`,
  );
  for (const transaction of transactions) {
    const parent = inTrace.find((span) => span.spanContext().spanId === transaction.parentSpanContext?.spanId);
    assert.ok(parent, `${describe(transaction)} has its parent in the trace`);
  }
});
