/**
 * OpenTelemetry traces: the one place that sets the SDK up, and the conversions between W3C Trace Context
 * as the events carry it (`traceparent` / `tracestate` headers) and OpenTelemetry span contexts.
 *
 * Off unless configured: with no exporter named by the standard OTEL_* variables nothing is installed,
 * `serviceTracer` returns undefined and every instrumented component skips its spans (a comparison per
 * request, transaction or batch). The events still carry a traceparent either way.
 *
 * One tracer provider per process: the services of one process (the in-process test stack) share it, and
 * each gets its own tracer, named after the service, so spans tell which service made them.
 */
import {
  type Context,
  context,
  createContextKey,
  createTraceState,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { isTraceparent } from '@shop/contracts';
import Type from 'typebox';

/**
 * The OTEL_* variables the services read (the standard names and meanings). The OTLP exporter also reads
 * the other OTEL_EXPORTER_OTLP_* variables of the process itself (headers, timeout, compression, TLS).
 */
export const TracingEnvSchema = Type.Object({
  /** `true` turns tracing off whatever else is set. Default: false. */
  OTEL_SDK_DISABLED: Type.Boolean({ default: false }),
  /**
   * Comma-separated exporters: `otlp`, `console`, or `none`. Default: `otlp` when an OTLP endpoint is set,
   * else none (tracing off).
   */
  OTEL_TRACES_EXPORTER: Type.Optional(Type.String({ pattern: '^(otlp|console|none)(,(otlp|console|none))*$' })),
  /** OTLP/HTTP (protobuf) base URL, e.g. http://localhost:4318; `/v1/traces` is appended. Default: none. */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Full OTLP/HTTP URL for traces, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. Default: none. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** `service.name` of the resource. Default: the service's own name, e.g. `order-service`. */
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
});

/** What `TracingEnvSchema` resolved to: which exporters, where, under which name; undefined when off. */
export interface TracingSettings {
  readonly exporters: ReadonlyArray<'otlp' | 'console'>;
  /** Where the OTLP exporter sends; undefined lets it use its own default (http://localhost:4318/v1/traces). */
  readonly otlpUrl?: string;
  readonly serviceName: string;
}

/** The settings `env` (validated against TracingEnvSchema) asks for, or undefined when tracing is off. */
export function tracingSettings(env: Readonly<Record<string, unknown>>, service: string): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED === true) return undefined;
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as string | undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT as string | undefined;
  const otlpUrl = specific ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  const named = (env.OTEL_TRACES_EXPORTER as string | undefined)?.split(',');
  const exporters = named ?? (otlpUrl === undefined ? [] : ['otlp']);
  if (exporters.length === 0 || exporters.includes('none')) return undefined;
  return {
    exporters: [...new Set(exporters)] as Array<'otlp' | 'console'>,
    ...(otlpUrl === undefined ? {} : { otlpUrl }),
    serviceName: (env.OTEL_SERVICE_NAME as string | undefined) ?? service,
  };
}

/** Longest wait for the last spans to reach the exporter when a service stops. */
export const TRACING_FLUSH_TIMEOUT_MS = 5_000;

let provider: TracerProvider | undefined;

/**
 * Installs the process's tracer provider (with the context manager that carries the active span across
 * awaits), once: the first call that enables tracing wins, later calls change nothing. Returns whether
 * tracing is on. `spanProcessors` (tests: an in-memory exporter) replaces the exporters `settings` name.
 */
export function startTracing(
  options: { settings: TracingSettings | undefined } | { serviceName: string; spanProcessors: SpanProcessor[] },
): boolean {
  if (provider !== undefined) return true;
  let serviceName: string;
  let spanProcessors: SpanProcessor[];
  if ('spanProcessors' in options) {
    ({ serviceName, spanProcessors } = options);
  } else {
    if (options.settings === undefined) return false;
    serviceName = options.settings.serviceName;
    const { otlpUrl } = options.settings;
    spanProcessors = options.settings.exporters.map(
      (name) =>
        new BatchSpanProcessor({
          exporter:
            name === 'console'
              ? new ConsoleSpanExporter()
              : new OTLPTraceExporter(otlpUrl === undefined ? {} : { url: otlpUrl }),
        }),
    );
  }
  const resource = defaultResource()
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector] }))
    .merge(resourceFromAttributes({ 'service.name': serviceName }));
  provider = new TracerProvider({ resource, spanProcessors });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return true;
}

/** The tracer of one service, or undefined while tracing is off (the components then make no spans). */
export function serviceTracer(service: string): Tracer | undefined {
  return provider?.getTracer(service);
}

/** Hands the spans ended so far to the exporters (a stopping service's last spans). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush({ timeoutMillis: TRACING_FLUSH_TIMEOUT_MS });
}

/** Flushes and removes the provider and the context manager (tests that started tracing). */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  if (stopping === undefined) return;
  await stopping.forceFlush({ timeoutMillis: TRACING_FLUSH_TIMEOUT_MS }).catch(() => {});
  await stopping.shutdown();
  trace.disable();
  context.disable();
}

// ---------------------------------------------------------------------------------------------------------
// W3C Trace Context <-> span contexts

/** A context whose (remote) parent is the one `traceparent` names; the root context when it is absent or malformed. */
export function remoteParent(traceparent: string | undefined, tracestate?: string): Context {
  if (traceparent === undefined || !isTraceparent(traceparent)) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = traceparent.split('-') as [string, string, string, string];
  const parent: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
    ...(tracestate === undefined || tracestate === '' ? {} : { traceState: createTraceState(tracestate) }),
  };
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

/** The W3C headers that make `span` the parent of what receives them. */
export function traceHeadersOf(span: Span): { traceparent: string; tracestate?: string } {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const traceparent = `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  const tracestate = traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}

// ---------------------------------------------------------------------------------------------------------
// The consumer spans of a batch, for what runs on the batch's behalf

/** The consumer spans of the batch being handled, set by the consumer runner around the batch. */
interface BatchSpans {
  readonly byEventId: ReadonlyMap<string, Span>;
  /** Links to every record's consumer span: a transaction of the batch serves them all. */
  readonly links: readonly Link[];
}

const BATCH_SPANS = createContextKey('shop.consumer.batch-spans');

/**
 * A context for the work of one batch: its active span is the first record's consumer span (so a batch of
 * one record, and the first of a larger one, has its transaction as a child), and it carries every record's
 * span for `traceOfNewEvent` and links for the transaction span.
 */
export function batchContext(spans: ReadonlyMap<string, Span>, all: readonly Span[]): Context {
  const first = all[0];
  const base = first === undefined ? context.active() : trace.setSpan(context.active(), first);
  const value: BatchSpans = {
    byEventId: spans,
    links: all.length > 1 ? all.map((span) => ({ context: span.spanContext() })) : [],
  };
  return base.setValue(BATCH_SPANS, value);
}

/** Links for a span that serves the whole batch being handled (none outside a batch or for one record). */
export function batchLinks(): readonly Link[] {
  return (context.active().getValue(BATCH_SPANS) as BatchSpans | undefined)?.links ?? [];
}

/** True when something is being traced here: a span is active (a request, a record) or a batch is handled. */
export function insideTrace(): boolean {
  const active = context.active();
  return trace.getSpan(active) !== undefined || active.getValue(BATCH_SPANS) !== undefined;
}

/**
 * The trace context an event written now continues, when tracing is on: the consumer span of the record
 * that caused it (its `causeEventId`), so the next hop's producer span is that span's child; for the first
 * event of a flow, the active span (the HTTP request that placed the order). Undefined when tracing is off
 * or nothing applies: the caller then keeps the contract's default (a child of the cause's traceparent, or
 * a new root).
 */
export function traceOfNewEvent(causeEventId?: string): { traceparent: string; tracestate?: string } | undefined {
  if (provider === undefined) return undefined;
  const active = context.active();
  const span =
    causeEventId === undefined
      ? trace.getSpan(active)
      : (active.getValue(BATCH_SPANS) as BatchSpans | undefined)?.byEventId.get(causeEventId);
  if (span === undefined || !isSpanContextValid(span.spanContext())) return undefined;
  return traceHeadersOf(span);
}
