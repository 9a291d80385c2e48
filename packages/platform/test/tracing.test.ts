import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, type Span, type SpanContext, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { newEventMeta } from '@shop/contracts';
import { loadEnv } from '../src/config.ts';
import { createEventWriter } from '../src/events/event-writer.ts';
import { kafkaNamespace } from '../src/kafka/namespace.ts';
import {
  batchContext,
  remoteParent,
  serviceTracer,
  startTracing,
  stopTracing,
  TracingEnvSchema,
  traceHeadersOf,
  traceOfNewEvent,
  tracingSettings,
} from '../src/tracing.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function settings(env: Record<string, string>) {
  return tracingSettings(loadEnv(TracingEnvSchema, env), 'order-service');
}

// These run first: the provider is process-wide, and the tests at the end of the file start it.
test('tracingSettings should leave tracing off unless an exporter or an OTLP endpoint is configured', () => {
  assert.equal(settings({}), undefined);
  assert.equal(settings({ OTEL_SERVICE_NAME: 'orders' }), undefined);
  assert.equal(
    settings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }),
    undefined,
  );
  assert.equal(settings({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }), undefined);
});

test('tracingSettings should read the standard OTEL_* variables', () => {
  assert.deepEqual(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }), {
    exporters: ['otlp'],
    otlpUrl: 'http://jaeger:4318/v1/traces',
    serviceName: 'order-service',
  });
  assert.deepEqual(
    settings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom',
      OTEL_SERVICE_NAME: 'orders-eu',
    }),
    { exporters: ['otlp'], otlpUrl: 'http://collector:4318/custom', serviceName: 'orders-eu' },
  );
  assert.deepEqual(settings({ OTEL_TRACES_EXPORTER: 'console,otlp,console' }), {
    exporters: ['console', 'otlp'],
    serviceName: 'order-service',
  });
  assert.throws(() => settings({ OTEL_TRACES_EXPORTER: 'jaeger' }), { code: 'PLT_CONFIG_INVALID' });
});

test('with tracing off there is no tracer and events keep the trace of their cause', () => {
  assert.equal(startTracing({ settings: undefined }), false);
  assert.equal(serviceTracer('order-service'), undefined);
  assert.equal(traceOfNewEvent(), undefined);
  const writer = createEventWriter({ service: 'inventory-service', namespace: kafkaNamespace('') });
  const cause = {
    ...newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: crypto.randomUUID() }),
    traceparent: TRACEPARENT,
  };
  const { meta } = writer.encode({
    type: 'ReservationCommitted',
    payload: { orderId: cause.correlationId },
    causedBy: { cause },
  });
  assert.equal(meta.traceparent?.split('-')[1], TRACEPARENT.split('-')[1]);
  assert.notEqual(meta.traceparent, TRACEPARENT);
});

test('remoteParent and traceHeadersOf should convert W3C headers to a parent and back', () => {
  const parent = trace.getSpanContext(remoteParent(TRACEPARENT, 'vendor=abc'));
  assert.deepEqual(
    { traceId: parent?.traceId, spanId: parent?.spanId, flags: parent?.traceFlags, remote: parent?.isRemote },
    { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1, remote: true },
  );
  assert.deepEqual(traceHeadersOf(trace.wrapSpanContext(parent as SpanContext)), {
    traceparent: TRACEPARENT,
    tracestate: 'vendor=abc',
  });
  for (const malformed of [undefined, '00-xyz', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`]) {
    assert.equal(remoteParent(malformed), ROOT_CONTEXT);
  }
});

test('an event written in a traced batch should name its cause record consumer span as its parent', async (t) => {
  const exporter = new InMemorySpanExporter();
  assert.equal(startTracing({ serviceName: 'test', spanProcessors: [new SimpleSpanProcessor({ exporter })] }), true);
  t.after(() => stopTracing());
  const tracer = serviceTracer('inventory-service');
  assert.ok(tracer);
  const writer = createEventWriter({ service: 'inventory-service', namespace: kafkaNamespace('') });
  const correlationId = crypto.randomUUID();
  const causes = [0, 1].map(() => ({
    ...newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId }),
    traceparent: TRACEPARENT,
  }));
  const spans = causes.map((cause) =>
    tracer.startSpan('process', { kind: SpanKind.CONSUMER }, remoteParent(cause.traceparent)),
  );
  const written = context.with(
    batchContext(new Map(causes.map((cause, index) => [cause.eventId, spans[index] as Span])), spans),
    () =>
      causes
        .toReversed()
        .map(
          (cause) =>
            writer.encode({ type: 'ReservationCommitted', payload: { orderId: correlationId }, causedBy: { cause } })
              .meta,
        ),
  );
  assert.deepEqual(
    written.map((meta) => meta.traceparent),
    spans.toReversed().map((span) => traceHeadersOf(span).traceparent),
  );
  // A new flow started under a span (a request) continues that span.
  const request = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
  const placed = context.with(trace.setSpan(context.active(), request), () =>
    writer.encode({ type: 'ReservationCommitted', payload: { orderId: correlationId }, causedBy: { correlationId } }),
  );
  assert.equal(placed.meta.traceparent, traceHeadersOf(request).traceparent);
  for (const span of [...spans, request]) span.end();
});
