import {
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
import { appendToOutbox } from '../outbox/outbox-writer.ts';

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
}

export function createEventWriter(options: { service: ServiceName; namespace: KafkaNamespace }): EventWriter {
  return {
    async append(client, input) {
      // A caused event continues the cause's flow and trace (a child span); a new flow starts a new trace.
      const context =
        'cause' in input.causedBy ? causedBy(input.causedBy.cause) : { correlationId: input.causedBy.correlationId };
      const meta = newEventMeta({ type: input.type, producer: options.service, ...context });
      const encoded = encodeEvent({
        meta,
        payload: input.payload,
        ...(input.topic === undefined ? {} : { topic: input.topic }),
      });
      await appendToOutbox(client, [
        {
          eventId: meta.eventId,
          eventType: meta.eventType,
          topic: options.namespace.topic(encoded.topic),
          key: encoded.key,
          payload: encoded.value,
          headers: encoded.headersText,
        },
      ]);
      return meta;
    },
  };
}
