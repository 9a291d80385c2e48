/**
 * Encoding and decoding of event records, used by every producer and consumer.
 *
 * Invariants:
 * - Nothing invalid is written: {@link EventCodec.encodeEvent} validates the exact bytes it returns
 *   (the payload after a JSON round trip) and the headers, and throws a contract {@link AppError} on any
 *   violation, so a producer bug fails in the producer's transaction, before the outbox or Kafka.
 * - Nothing invalid is handed to a handler: {@link EventCodec.decodeRecord} never throws; it returns
 *   either a typed event or a {@link ContractFailure} with a `CTR_` code and a reason naming the field,
 *   which the consumer runner dead-letters as it is (contract failures are never retryable).
 * - A reader of version N reads version N+1: a newer version is read by the newest schema this reader
 *   knows, ignoring the fields it does not know. The compatibility test guarantees that this works for
 *   every registered pair of versions, and that any older version fits the newest schema too, which is
 *   why a decoded payload is typed as the newest version whatever version was written.
 */
import { Compile, type Validator } from 'typebox/compile';
import { type ContractFailure, contractFailure, contractFailureError } from './errors.ts';
import type { AnyEventDefinition } from './events/define-event.ts';
import {
  EVENT_REGISTRY,
  type EventRegistry,
  type EventTypeIn,
  findDefinition,
  findLatestDefinition,
  type PayloadIn,
  type PlatformEventRegistry,
} from './events/registry.ts';
import {
  CONTENT_TYPE_JSON,
  decodeHeaders,
  type EventMeta,
  encodeHeadersAsText,
  HEADERS,
  type HeaderInput,
  newTraceparent,
  validateEventMeta,
} from './headers.ts';
import { newId } from './ids.ts';
import { describeSchemaErrors } from './schema-errors.ts';
import type { ServiceName } from './services.ts';
import { TOPICS, type TopicDefinition, type TopicId } from './topics.ts';

/** Pointer prefix of payload fields in failure reasons: the record's value. */
const VALUE_ROOT = '/value';

/** Metadata of an event whose type is known statically. */
export type TypedEventMeta<T extends string> = EventMeta & { readonly eventType: T };

/** Input of {@link EventCodec.newEventMeta}. */
export interface NewEventMetaInput<T extends string> {
  /** Event type. */
  readonly type: T;
  /** The producing service; must own the topic the event is written to. */
  readonly producer: ServiceName;
  /** Correlation id of the flow: a new UUID at the start of a flow, else the cause's (see `causedBy`). */
  readonly correlationId: string;
  /** Event id of the cause; omit for the first event of a flow. */
  readonly causationId?: string;
  /** W3C traceparent to propagate. Default: a new root trace. */
  readonly traceparent?: string;
  /** W3C tracestate; ignored without `traceparent`. Default: none. */
  readonly tracestate?: string;
  /** Schema version to write. Default: the latest registered version (what producers must write). */
  readonly version?: number;
  /** Event id. Default: a new time-ordered id (`newId`). Set it only to re-create a known event deterministically (tests, outbox rebuilds). */
  readonly eventId?: string;
  /** When it happened. Default: now. */
  readonly occurredAt?: Date | string;
}

/** Input of {@link EventCodec.encodeEvent}. */
export interface EncodeInput<R extends EventRegistry, T extends EventTypeIn<R>> {
  /** Metadata from {@link EventCodec.newEventMeta}; its event type selects the schema. */
  readonly meta: TypedEventMeta<T>;
  /** The payload. */
  readonly payload: PayloadIn<R, T>;
  /** Target topic. Default: the one business topic carrying the event type (an error if there are several). */
  readonly topic?: TopicId;
}

/** A record ready for the outbox or a Kafka producer. */
export interface EncodedRecord {
  /** Topic name. */
  readonly topic: string;
  /** Record key: the value of the payload's partition key field (UTF-8 when sent). */
  readonly key: string;
  /** The JSON value, exactly as validated. */
  readonly value: Buffer;
  /** Contract headers, UTF-8 encoded: what a Kafka producer sends. */
  readonly headers: Record<string, Buffer>;
  /** The same headers as text: what an outbox row stores (e.g. in a JSON column). */
  readonly headersText: Readonly<Record<string, string>>;
  /** The metadata the headers encode (e.g. to store in the outbox next to the value). */
  readonly meta: EventMeta;
}

/** Options of {@link EventCodec.decodeRecord}. */
export interface DecodeOptions {
  /** Name of the topic the record was read from. When given, the event type must be allowed there. Default: not checked. */
  readonly topic?: string;
  /** The record's key. When given (even null), it must equal the payload's partition key field. Default: not checked. */
  readonly key?: Buffer | Uint8Array | string | null;
  /**
   * A version newer than any this reader knows: `read-as-latest` validates it against the newest
   * known schema, ignoring unknown fields (the compatibility rule makes this safe); `reject` fails
   * with CTR_UNKNOWN_SCHEMA_VERSION. Default: `read-as-latest`.
   */
  readonly newerVersions?: 'read-as-latest' | 'reject';
}

/**
 * A decoded event: a union discriminated by `type`, so narrowing on `event.type` types `payload`.
 * `version` is the version as written.
 */
export type DecodedEventIn<R extends EventRegistry> = {
  [T in EventTypeIn<R>]: { readonly type: T; readonly version: number; readonly payload: PayloadIn<R, T> };
}[EventTypeIn<R>];

/** A decoded platform event. */
export type DecodedEvent = DecodedEventIn<PlatformEventRegistry>;

/** A successfully decoded record. */
export interface DecodeSuccess<R extends EventRegistry> {
  readonly ok: true;
  readonly event: DecodedEventIn<R>;
  readonly meta: EventMeta;
  /** The schema version the payload was validated against (lower than `meta.eventVersion` when it was newer than known). */
  readonly readAsVersion: number;
}

/** The result of decoding: a typed event, or why the record is poison. */
export type DecodeResult<R extends EventRegistry = PlatformEventRegistry> = DecodeSuccess<R> | ContractFailure;

/** Encoding and decoding over one registry and topic catalog. */
export interface EventCodec<R extends EventRegistry> {
  /** Builds the full metadata (header set) of a new event; throws a contract {@link AppError} when invalid. */
  newEventMeta<T extends EventTypeIn<R>>(input: NewEventMetaInput<T>): TypedEventMeta<T>;
  /** Validates and encodes an event; throws a contract {@link AppError} so that nothing invalid is written. */
  encodeEvent<T extends EventTypeIn<R>>(input: EncodeInput<R, T>): EncodedRecord;
  /** Decodes and validates a consumed record; never throws. */
  decodeRecord(
    value: Buffer | Uint8Array | null | undefined,
    headers: HeaderInput,
    options?: DecodeOptions,
  ): DecodeResult<R>;
}

/** Options of {@link createEventCodec}. */
export interface EventCodecOptions<R extends EventRegistry> {
  /** The event registry. */
  readonly events: R;
  /** The topic catalog used for topic and ownership checks. Default: the platform catalog. */
  readonly topics?: readonly TopicDefinition[];
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function throwFailure(failure: ContractFailure): never {
  throw contractFailureError(failure);
}

/** Creates a codec over `options.events`; the platform's codec is exported as {@link encodeEvent} and friends. */
export function createEventCodec<R extends EventRegistry>(options: EventCodecOptions<R>): EventCodec<R> {
  const registry = options.events;
  const topics = options.topics ?? TOPICS;
  const validators = new Map<AnyEventDefinition, Validator>();

  function validatorOf(definition: AnyEventDefinition): Validator {
    let validator = validators.get(definition);
    if (validator === undefined) {
      validator = Compile(definition.schema) as unknown as Validator;
      validators.set(definition, validator);
    }
    return validator;
  }

  /** Schema and invariants; `undefined` when the payload is valid for `definition`. */
  function checkPayload(
    definition: AnyEventDefinition,
    payload: unknown,
  ): { field: string; message: string } | undefined {
    const validator = validatorOf(definition);
    if (!validator.Check(payload)) return describeSchemaErrors(validator.Errors(payload), VALUE_ROOT);
    const violation = definition.invariants?.(payload);
    if (violation === undefined) return undefined;
    const field = `${VALUE_ROOT}${violation.path}`;
    return { field, message: `${field} ${violation.message}` };
  }

  function describe(definition: AnyEventDefinition): string {
    return `${definition.type} v${definition.version}`;
  }

  /** The catalog does not change: each (type, topic) pair is resolved once (every event encoded asks). */
  const resolvedTargets = new Map<string, TopicDefinition | ContractFailure>();

  function resolveTargetTopic(type: string, requested: TopicId | undefined): TopicDefinition | ContractFailure {
    const cacheKey = `${type}\u0000${requested ?? ''}`;
    let target = resolvedTargets.get(cacheKey);
    if (target === undefined) {
      target = findTargetTopic(type, requested);
      resolvedTargets.set(cacheKey, target);
    }
    return target;
  }

  function findTargetTopic(type: string, requested: TopicId | undefined): TopicDefinition | ContractFailure {
    const business = (candidate: TopicDefinition) => candidate.kind === 'event' || candidate.kind === 'command';
    if (requested !== undefined) {
      const target = topics.find((candidate) => candidate.id === requested);
      if (target === undefined) return contractFailure('CTR_WRONG_TOPIC', `topic ${requested} is not in the catalog`);
      if (!business(target)) {
        return contractFailure(
          'CTR_WRONG_TOPIC',
          `${target.name} is a ${target.kind} topic; only the consumer runner writes there, by forwarding the original record`,
        );
      }
      if (!(target.events as readonly string[]).includes(type)) {
        return contractFailure('CTR_WRONG_TOPIC', `${type} may not appear on ${target.name}`);
      }
      return target;
    }
    const carrying = topics.filter(
      (candidate) => business(candidate) && (candidate.events as readonly string[]).includes(type),
    );
    const [only, ...others] = carrying;
    if (only === undefined) return contractFailure('CTR_WRONG_TOPIC', `no catalog topic carries ${type}`);
    if (others.length > 0) {
      return contractFailure('CTR_WRONG_TOPIC', `${type} is carried by several topics; pass the topic explicitly`);
    }
    return only;
  }

  function newEventMeta<T extends EventTypeIn<R>>(input: NewEventMetaInput<T>): TypedEventMeta<T> {
    const latest = findLatestDefinition(input.type, registry);
    if (latest === undefined) {
      throw contractFailureError(
        contractFailure(
          'CTR_UNKNOWN_EVENT_TYPE',
          `/headers/${HEADERS.eventType} ${input.type} is not a registered event type`,
          `/headers/${HEADERS.eventType}`,
        ),
      );
    }
    const occurredAt = input.occurredAt ?? new Date();
    // A tracestate belongs to the traceparent it came with; it is never attached to a new root trace.
    const tracestate = input.traceparent === undefined ? undefined : input.tracestate;
    const traceparent = input.traceparent ?? newTraceparent();
    const meta = {
      eventId: input.eventId ?? newId(),
      eventType: input.type,
      eventVersion: input.version ?? latest.version,
      contentType: CONTENT_TYPE_JSON,
      correlationId: input.correlationId,
      ...(input.causationId === undefined ? {} : { causationId: input.causationId }),
      traceparent,
      ...(tracestate === undefined ? {} : { tracestate }),
      producer: input.producer,
      occurredAt: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString(),
    } satisfies EventMeta;
    // Frozen, so that encoding it (which validates what it is given) need not check it again.
    Object.freeze(meta);
    const failure = validateEventMeta(meta);
    if (failure !== undefined) throwFailure(failure);
    return meta;
  }

  function encodeEvent<T extends EventTypeIn<R>>(input: EncodeInput<R, T>): EncodedRecord {
    const { meta } = input;
    const metaFailure = validateEventMeta(meta);
    if (metaFailure !== undefined) throwFailure(metaFailure);
    const definition = findDefinition(meta.eventType, meta.eventVersion, registry);
    if (definition === undefined) {
      if (findLatestDefinition(meta.eventType, registry) === undefined) {
        throw contractFailureError(
          contractFailure(
            'CTR_UNKNOWN_EVENT_TYPE',
            `/headers/${HEADERS.eventType} ${meta.eventType} is not a registered event type`,
            `/headers/${HEADERS.eventType}`,
          ),
        );
      }
      throw contractFailureError(
        contractFailure(
          'CTR_UNKNOWN_SCHEMA_VERSION',
          `/headers/${HEADERS.eventVersion} ${meta.eventVersion}: ${meta.eventType} has no such registered version`,
          `/headers/${HEADERS.eventVersion}`,
        ),
      );
    }
    const target = resolveTargetTopic(meta.eventType, input.topic);
    if (!('name' in target)) throwFailure(target);
    if (target.owner !== meta.producer) {
      throw contractFailureError(
        contractFailure(
          'CTR_NOT_TOPIC_OWNER',
          `/headers/${HEADERS.producer} ${meta.producer} may not write to ${target.name}; only ${target.owner} does`,
          `/headers/${HEADERS.producer}`,
        ),
      );
    }
    let json: string;
    try {
      json = JSON.stringify(input.payload);
    } catch (cause) {
      throw contractFailureError(
        contractFailure(
          'CTR_SCHEMA_INVALID',
          `${describe(definition)}: ${VALUE_ROOT} is not serializable as JSON: ${String(cause)}`,
          VALUE_ROOT,
        ),
      );
    }
    if (json === undefined)
      throw contractFailureError(
        contractFailure('CTR_SCHEMA_INVALID', `${describe(definition)}: ${VALUE_ROOT} is not a JSON value`, VALUE_ROOT),
      );
    // Validate what will be on the wire, not the object handed in: JSON.stringify drops undefined
    // fields and functions, and turns NaN into null and Dates into strings.
    const wire: unknown = JSON.parse(json);
    const problem = checkPayload(definition, wire);
    if (problem !== undefined)
      throw contractFailureError(
        contractFailure('CTR_SCHEMA_INVALID', `${describe(definition)}: ${problem.message}`, problem.field),
      );
    const key = (wire as Record<string, unknown>)[definition.key];
    const headersText = encodeHeadersAsText(meta);
    let headers: Record<string, Buffer> | undefined;
    return {
      topic: target.name,
      key: String(key),
      value: Buffer.from(json, 'utf8'),
      // As bytes only when asked for: the outbox stores the text, and the relay makes the bytes it sends.
      get headers() {
        headers ??= Object.fromEntries(
          Object.entries(headersText).map(([name, value]) => [name, Buffer.from(value, 'utf8')]),
        );
        return headers;
      },
      headersText,
      meta,
    };
  }

  function decodeRecord(
    value: Buffer | Uint8Array | null | undefined,
    headers: HeaderInput,
    decodeOptions: DecodeOptions = {},
  ): DecodeResult<R> {
    const decodedHeaders = decodeHeaders(headers);
    if (!decodedHeaders.ok) return decodedHeaders;
    const { meta } = decodedHeaders;
    const latest = findLatestDefinition(meta.eventType, registry);
    if (latest === undefined) {
      return contractFailure(
        'CTR_UNKNOWN_EVENT_TYPE',
        `/headers/${HEADERS.eventType} ${meta.eventType} is not a registered event type`,
        `/headers/${HEADERS.eventType}`,
      );
    }
    const exact = findDefinition(meta.eventType, meta.eventVersion, registry);
    const newer = exact === undefined && meta.eventVersion > latest.version;
    if (exact === undefined && (!newer || decodeOptions.newerVersions === 'reject')) {
      return contractFailure(
        'CTR_UNKNOWN_SCHEMA_VERSION',
        `/headers/${HEADERS.eventVersion} ${meta.eventVersion}: ${meta.eventType} v${meta.eventVersion} is not known to this reader (known up to v${latest.version})`,
        `/headers/${HEADERS.eventVersion}`,
      );
    }
    const definition = exact ?? latest;
    if (decodeOptions.topic !== undefined) {
      const source = topics.find((candidate) => candidate.name === decodeOptions.topic);
      if (source === undefined)
        return contractFailure('CTR_WRONG_TOPIC', `topic ${decodeOptions.topic} is not in the catalog`);
      if (!(source.events as readonly string[]).includes(meta.eventType)) {
        return contractFailure('CTR_WRONG_TOPIC', `${meta.eventType} may not appear on ${source.name}`);
      }
    }
    if (value === null || value === undefined || value.length === 0) {
      return contractFailure('CTR_EMPTY_VALUE', `${VALUE_ROOT} is empty (null or zero bytes)`, VALUE_ROOT);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(STRICT_UTF8.decode(value));
    } catch (cause) {
      const detail = cause instanceof SyntaxError ? cause.message : 'the value is not valid UTF-8';
      return contractFailure('CTR_NOT_JSON', `${VALUE_ROOT} is not JSON: ${detail}`, VALUE_ROOT);
    }
    if (!isPlainObject(payload)) {
      return contractFailure(
        'CTR_SCHEMA_INVALID',
        `${describe(definition)}: ${VALUE_ROOT} must be an object`,
        VALUE_ROOT,
      );
    }
    if (exact === undefined) {
      // Newer than known: drop the fields this reader does not know, then hold the rest to its newest schema.
      payload = validatorOf(definition).Clean(payload);
      if (!isPlainObject(payload))
        return contractFailure('CTR_SCHEMA_INVALID', `${VALUE_ROOT} must be an object`, VALUE_ROOT);
    }
    const problem = checkPayload(definition, payload);
    if (problem !== undefined) {
      if (exact === undefined) {
        return contractFailure(
          'CTR_UNKNOWN_SCHEMA_VERSION',
          `${meta.eventType} v${meta.eventVersion} is newer than this reader knows and does not fit v${definition.version}: ${problem.message}`,
          problem.field,
        );
      }
      return contractFailure('CTR_SCHEMA_INVALID', `${describe(definition)}: ${problem.message}`, problem.field);
    }
    if (decodeOptions.key !== undefined) {
      const expected = payload[definition.key];
      let key: string | undefined;
      try {
        key =
          decodeOptions.key === null || typeof decodeOptions.key === 'string'
            ? (decodeOptions.key ?? undefined)
            : STRICT_UTF8.decode(decodeOptions.key);
      } catch {
        key = undefined;
      }
      if (key !== expected) {
        return contractFailure(
          'CTR_KEY_MISMATCH',
          `the record key ${key === undefined ? '(none)' : JSON.stringify(key)} differs from ${VALUE_ROOT}/${definition.key} ${JSON.stringify(expected)}`,
          `${VALUE_ROOT}/${definition.key}`,
        );
      }
    }
    const event = { type: meta.eventType, version: meta.eventVersion, payload } as unknown as DecodedEventIn<R>;
    return { ok: true, event, meta, readAsVersion: definition.version };
  }

  return { newEventMeta, encodeEvent, decodeRecord };
}

const platformCodec: EventCodec<PlatformEventRegistry> = createEventCodec({ events: EVENT_REGISTRY });

/** Builds the metadata of a new platform event (a new time-ordered event id, occurred-at now). See {@link EventCodec.newEventMeta}. */
export const newEventMeta = platformCodec.newEventMeta;

/** Validates and encodes a platform event, or throws a contract {@link AppError}. See {@link EventCodec.encodeEvent}. */
export const encodeEvent = platformCodec.encodeEvent;

/** Decodes a consumed platform record into a typed event or a contract failure. See {@link EventCodec.decodeRecord}. */
export const decodeRecord = platformCodec.decodeRecord;
