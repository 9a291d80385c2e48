/**
 * Consumer spans: one per record of a batch, a child of the producer span its `traceparent` header names,
 * open from the batch's start until it settled and its offsets were committed. The batch runs in a context
 * that knows every record's span (tracing.ts `batchContext`), so the events a handler writes continue the
 * trace of the record that caused them and the batch's transaction span hangs under its records.
 */

import { context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { HEADERS } from '@shop/contracts';
import { batchContext, remoteParent } from '../tracing.ts';
import type { KafkaRecord, RecordFailure } from './types.ts';

const BY_RECORD = new WeakMap<KafkaRecord, Span>();

function header(record: KafkaRecord, name: string): string | undefined {
  return record.headers?.get(name)?.toString('utf8');
}

/**
 * Runs `run` (one batch of `records`) inside a consumer span per record; without a tracer, runs it alone.
 * Every span ends when `run` settles, whichever way.
 */
export async function withConsumerSpans<T>(
  tracer: Tracer | undefined,
  groupId: string,
  records: readonly KafkaRecord[],
  run: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return run();
  const byEventId = new Map<string, Span>();
  const spans: Span[] = [];
  for (const record of records) {
    const eventId = header(record, HEADERS.eventId);
    const span = tracer.startSpan(
      `process ${record.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': record.topic,
          'messaging.destination.partition.id': String(record.partition),
          'messaging.kafka.offset': Number(record.offset),
          'messaging.consumer.group.name': groupId,
          ...(eventId === undefined ? {} : { 'messaging.message.id': eventId }),
        },
      },
      remoteParent(header(record, HEADERS.traceparent), header(record, HEADERS.tracestate)),
    );
    spans.push(span);
    BY_RECORD.set(record, span);
    if (eventId !== undefined) byEventId.set(eventId, span);
  }
  try {
    return await context.with(batchContext(byEventId, spans), run);
  } catch (error) {
    for (const span of spans) span.recordException(error as Error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

/** Marks a record's consumer span with how it failed (it goes to a retry tier or the dead-letter topic). */
export function markRecordFailed(record: KafkaRecord, failure: RecordFailure): void {
  const span = BY_RECORD.get(record);
  if (span === undefined) return;
  span.setAttributes({ 'error.type': failure.code, 'shop.consumer.failure': failure.kind });
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/** Marks a record's consumer span as a duplicate the inbox skipped. */
export function markRecordDuplicate(record: KafkaRecord): void {
  BY_RECORD.get(record)?.setAttribute('shop.consumer.duplicate', true);
}
