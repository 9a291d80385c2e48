import {
  type CausationContext,
  causedBy,
  type EventMeta,
  type EventPayload,
  type EventType,
  encodeEvent,
  newEventMeta,
  type ServiceName,
  type TopicId,
} from '@shop/contracts';
import type { PoolClient } from '../db/pool.ts';
import type { KafkaNamespace } from '../kafka/namespace.ts';
import { appendToOutbox, type OutboxMessage } from '../outbox/outbox-writer.ts';
import { traceOfNewEvent } from '../tracing.ts';

/** Where a new event comes from: the event that caused it (same flow), or the start of a new flow. */
export type EventCause = { cause: EventMeta } | { correlationId: string };

export interface AppendEventInput<T extends EventType> {
  type: T;
  payload: EventPayload<T>;
  /** The event that caused this one (its correlation id is kept and its id becomes the causation id). */
  causedBy: EventCause;
  /** Target topic when the type appears on several. Default: its one business topic. */
  topic?: TopicId;
}

export interface EventWriter {
  /**
   * Validates and encodes the event (a contract violation throws here, before anything is written) and
   * appends it to the outbox on the caller's transaction. Returns its metadata.
   */
  append<T extends EventType>(client: PoolClient, input: AppendEventInput<T>): Promise<EventMeta>;
  /**
   * Like `append` for many events at once: all are validated and encoded first, then written with one
   * outbox insert (none when `inputs` is empty), in array order (which is their publishing order per key).
   */
  appendAll(client: PoolClient, inputs: ReadonlyArray<AnyAppendEventInput>): Promise<EventMeta[]>;
  /**
   * Validates and encodes the event exactly as `append` does, without writing it: for a caller that writes
   * the outbox row itself inside a larger statement (it must still be on the transaction of the change).
   */
  encode<T extends EventType>(input: AppendEventInput<T>): EncodedOutboxEvent;
}

/** An event ready for the outbox: its metadata and the row `append` would insert. */
export interface EncodedOutboxEvent {
  meta: EventMeta;
  message: OutboxMessage;
}

/** An `AppendEventInput` of any event type, for `appendAll`. */
export type AnyAppendEventInput = { [T in EventType]: AppendEventInput<T> }[EventType];

export function createEventWriter(options: { service: ServiceName; namespace: KafkaNamespace }): EventWriter {
  const encode = <T extends EventType>(input: AppendEventInput<T>): EncodedOutboxEvent => {
    // A caused event continues the cause's flow and trace (a child span); a new flow starts a new trace. With
    // tracing on, the parent is a real span: the consumer span of the record that caused the event, or (a new
    // flow) the span active now, e.g. the HTTP request's; with tracing off, a new span id in the cause's trace.
    const cause = 'cause' in input.causedBy ? input.causedBy.cause : undefined;
    const { traceparent, tracestate, ...flow }: Partial<CausationContext> & { correlationId: string } =
      cause === undefined
        ? { correlationId: (input.causedBy as { correlationId: string }).correlationId }
        : causedBy(cause);
    const trace =
      traceOfNewEvent(cause?.eventId) ??
      (traceparent === undefined ? {} : tracestate === undefined ? { traceparent } : { traceparent, tracestate });
    const meta = newEventMeta({ type: input.type, producer: options.service, ...flow, ...trace });
    const encoded = encodeEvent({
      meta,
      payload: input.payload,
      ...(input.topic === undefined ? {} : { topic: input.topic }),
    });
    return {
      meta,
      message: {
        eventId: meta.eventId,
        eventType: meta.eventType,
        topic: options.namespace.topic(encoded.topic),
        key: encoded.key,
        payload: encoded.value,
        headers: encoded.headersText,
      },
    };
  };
  return {
    encode,
    async append(client, input) {
      const { meta, message } = encode(input);
      await appendToOutbox(client, [message]);
      return meta;
    },
    async appendAll(client, inputs) {
      const encoded = inputs.map((input) => encode(input as AppendEventInput<EventType>));
      await appendToOutbox(
        client,
        encoded.map((item) => item.message),
      );
      return encoded.map((item) => item.meta);
    },
  };
}
