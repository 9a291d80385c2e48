/**
 * Kafka header names and the metadata they carry, with encoding (strings → UTF-8 bytes) and decoding
 * (bytes → validated {@link EventMeta}).
 *
 * The rule for header versus payload: a header carries what the transport, the consumer runner and
 * the tools need to route, deduplicate, trace or dead-letter a record without parsing its value, and
 * what is the same for every event type; the payload carries the business fact a handler acts on.
 * Each header's reason is in {@link HEADER_SPECS} and in docs/design/contracts.md.
 */
import { type ContractFailure, contractFailure, contractFailureError } from './errors.ts';
import { randomHex } from './ids.ts';
import { UTC_TIMESTAMP_PATTERN, UUID_PATTERN } from './values.ts';

/** Header names. Lowercase kebab-case; W3C Trace Context names (`traceparent`, `tracestate`) as specified. */
export const HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  eventVersion: 'event-version',
  contentType: 'content-type',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  producer: 'producer',
  occurredAt: 'occurred-at',
} as const;

/** A header name from {@link HEADERS}. */
export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];

/** The only content type the platform writes and reads. */
export const CONTENT_TYPE_JSON = 'application/json';

/** Longest accepted `tracestate` (W3C Trace Context: at most 32 members; 512 characters is the propagation floor). */
export const MAX_TRACESTATE_LENGTH = 512;

/** Longest accepted value of any other header; longer values are garbage, not metadata. */
export const MAX_HEADER_VALUE_LENGTH = 256;

/** Event types are PascalCase identifiers. */
export const EVENT_TYPE_PATTERN = '^[A-Z][A-Za-z0-9]{0,63}$';

/** Schema versions are positive decimal integers without leading zeros. */
export const EVENT_VERSION_PATTERN = '^[1-9][0-9]{0,8}$';

/** Service names are kebab-case. */
export const PRODUCER_PATTERN = '^[a-z][a-z0-9]*(-[a-z0-9]+)*$';

/** W3C Trace Context version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
export const TRACEPARENT_PATTERN = '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';

const UUID = new RegExp(UUID_PATTERN);
const UTC_TIMESTAMP = new RegExp(UTC_TIMESTAMP_PATTERN);
const EVENT_TYPE = new RegExp(EVENT_TYPE_PATTERN);
const EVENT_VERSION = new RegExp(EVENT_VERSION_PATTERN);
const PRODUCER = new RegExp(PRODUCER_PATTERN);
const TRACEPARENT = new RegExp(TRACEPARENT_PATTERN);
const ALL_ZERO_TRACE_ID = '0'.repeat(32);
const ALL_ZERO_PARENT_ID = '0'.repeat(16);
const TRACE_ID_BYTES = 16;
const PARENT_ID_BYTES = 8;
const SAMPLED_FLAGS = '01';

/** The metadata of one event, carried in headers. */
export interface EventMeta {
  /** Unique id of this event: the consumers' idempotency key (inbox). Lowercase UUID. */
  readonly eventId: string;
  /** PascalCase event type, e.g. `OrderPlaced`. */
  readonly eventType: string;
  /** Schema version of the payload as written. */
  readonly eventVersion: number;
  /** Always `application/json`. */
  readonly contentType: typeof CONTENT_TYPE_JSON;
  /** Id shared by every event of one business flow (one order), for searching logs and traces. Lowercase UUID. */
  readonly correlationId: string;
  /** Event id of the event (or command) that caused this one; absent for the first event of a flow. */
  readonly causationId?: string;
  /** W3C `traceparent`; absent when the producer had none (and, on decode, when it was malformed). */
  readonly traceparent?: string;
  /** W3C `tracestate`, only together with `traceparent`. */
  readonly tracestate?: string;
  /** The producing service, e.g. `order-service`. */
  readonly producer: string;
  /** When the fact happened (or the command was issued): ISO 8601 UTC. */
  readonly occurredAt: string;
}

/** One header of the contract, documented for the generated docs. */
export interface HeaderSpec {
  readonly name: HeaderName;
  readonly field: keyof EventMeta;
  readonly required: boolean;
  readonly format: string;
  readonly description: string;
  /** Why this is a header and not a payload field. */
  readonly whyHeader: string;
}

/** Every header of the contract, in the order they are written. */
export const HEADER_SPECS: readonly HeaderSpec[] = [
  {
    name: HEADERS.eventId,
    field: 'eventId',
    required: true,
    format: 'lowercase UUID',
    description: 'Unique id of this event; the idempotency key consumers record in their inbox.',
    whyHeader:
      'Deduplication, dead-lettering and replay work on any record without parsing its value; a replay republishes the record with this id unchanged so consumers recognise it.',
  },
  {
    name: HEADERS.eventType,
    field: 'eventType',
    required: true,
    format: EVENT_TYPE_PATTERN,
    description: 'PascalCase event type, e.g. OrderPlaced.',
    whyHeader:
      'Consumers of a topic carrying several types select the schema, or skip a type they ignore, before parsing; tools filter by it.',
  },
  {
    name: HEADERS.eventVersion,
    field: 'eventVersion',
    required: true,
    format: 'positive integer',
    description: 'Schema version of the payload as written.',
    whyHeader:
      'Selects the schema to validate against before the value is parsed; kept out of the payload so a reader of version N can read version N+1 by its own schema.',
  },
  {
    name: HEADERS.contentType,
    field: 'contentType',
    required: true,
    format: CONTENT_TYPE_JSON,
    description: 'Serialization of the value.',
    whyHeader: 'Describes the bytes of the value, so it cannot be inside them.',
  },
  {
    name: HEADERS.correlationId,
    field: 'correlationId',
    required: true,
    format: 'lowercase UUID',
    description: 'Id shared by every event of one business flow.',
    whyHeader: 'Observability metadata, the same for every event type; logging reads it without knowing the payload.',
  },
  {
    name: HEADERS.causationId,
    field: 'causationId',
    required: false,
    format: 'lowercase UUID',
    description: 'Event id of the event or command that caused this one; absent for the first event of a flow.',
    whyHeader: 'Links events into a causal chain for debugging; no handler decides anything on it.',
  },
  {
    name: HEADERS.traceparent,
    field: 'traceparent',
    required: false,
    format: 'W3C traceparent, version 00',
    description: 'Distributed trace context.',
    whyHeader:
      'W3C Trace Context propagation over Kafka uses headers (as OpenTelemetry instrumentations do); a malformed value is ignored on decode, as the W3C spec requires, not dead-lettered.',
  },
  {
    name: HEADERS.tracestate,
    field: 'tracestate',
    required: false,
    format: `W3C tracestate, at most ${MAX_TRACESTATE_LENGTH} characters`,
    description: 'Vendor-specific trace context, only with traceparent.',
    whyHeader: 'Part of W3C Trace Context, propagated with traceparent.',
  },
  {
    name: HEADERS.producer,
    field: 'producer',
    required: true,
    format: 'kebab-case service name',
    description: 'The service that wrote the event.',
    whyHeader:
      'Provenance for operators and dead letters; the same for every event type. Handlers must not branch on it (the topic already fixes the producer).',
  },
  {
    name: HEADERS.occurredAt,
    field: 'occurredAt',
    required: true,
    format: 'ISO 8601 UTC, e.g. 2025-06-01T12:00:00.000Z',
    description: 'When the fact happened (or the command was issued), not when it was published.',
    whyHeader:
      'Generic event metadata every type has; the Kafka record timestamp is the publish time (the outbox relay may publish later), so the business time needs its own field.',
  },
];

/** A header value as Kafka clients hand it over. */
export type HeaderValue = Buffer | Uint8Array | string | null | undefined;

/** Headers as Kafka clients hand them over: a Map (possibly with Buffer keys), entry pairs, or a plain object. */
export type HeaderInput =
  | ReadonlyMap<Buffer | Uint8Array | string, HeaderValue>
  | Iterable<readonly [Buffer | Uint8Array | string, HeaderValue]>
  | Readonly<Record<string, HeaderValue>>;

/** True for a UUID in canonical lowercase form. */
export function isCanonicalUuid(value: string): boolean {
  return UUID.test(value);
}

/** True for an ISO 8601 UTC instant with `Z` that denotes a real date. */
export function isUtcTimestamp(value: string): boolean {
  return UTC_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

/** True for a valid W3C traceparent of version 00 (trace id and parent id not all zeros). */
export function isTraceparent(value: string): boolean {
  if (!TRACEPARENT.test(value)) return false;
  const [, traceId, parentId] = value.split('-');
  return traceId !== ALL_ZERO_TRACE_ID && parentId !== ALL_ZERO_PARENT_ID;
}

/** A new root trace context (random trace id and parent id, sampled). */
export function newTraceparent(): string {
  return `00-${randomHex(TRACE_ID_BYTES)}-${randomHex(PARENT_ID_BYTES)}-${SAMPLED_FLAGS}`;
}

/** A child of `traceparent`: the same trace id and flags, a new parent id. */
export function childTraceparent(traceparent: string): string {
  const [version, traceId, , flags] = traceparent.split('-');
  return `${version}-${traceId}-${randomHex(PARENT_ID_BYTES)}-${flags}`;
}

/** The tracing context of an event that another event caused, passed on to {@link EventMeta} of the new event. */
export interface CausationContext {
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * The context for an event caused by `cause`: same correlation id, causation id = the cause's event id,
 * and a child of its trace (a new span id in the same trace) when it had one.
 */
export function causedBy(cause: EventMeta): CausationContext {
  const context: CausationContext = { correlationId: cause.correlationId, causationId: cause.eventId };
  if (cause.traceparent === undefined) return context;
  const traceparent = childTraceparent(cause.traceparent);
  return cause.tracestate === undefined
    ? { ...context, traceparent }
    : { ...context, traceparent, tracestate: cause.tracestate };
}

function headerField(name: HeaderName): string {
  return `/headers/${name}`;
}

/**
 * Checks metadata about to be written. Stricter than decoding: a malformed traceparent is the
 * producer's bug and fails here, whereas a reader ignores it.
 */
export function validateEventMeta(meta: EventMeta): ContractFailure | undefined {
  if (validatedMetas.has(meta)) return undefined;
  const failure = checkEventMeta(meta);
  // Only a frozen object stays valid: checking it again (encoding checks what it is given) would find the same.
  if (failure === undefined && Object.isFrozen(meta)) validatedMetas.add(meta);
  return failure;
}

/** Metadata objects already found valid (frozen, so they cannot have changed since). */
const validatedMetas = new WeakSet<EventMeta>();

function checkEventMeta(meta: EventMeta): ContractFailure | undefined {
  const missing = HEADER_SPECS.find(
    (spec) => spec.required && (meta[spec.field] === undefined || meta[spec.field] === ''),
  );
  if (missing !== undefined) {
    return contractFailure('CTR_MISSING_HEADER', `${headerField(missing.name)} is required`, headerField(missing.name));
  }
  if (meta.contentType !== CONTENT_TYPE_JSON) {
    return contractFailure(
      'CTR_UNSUPPORTED_CONTENT_TYPE',
      `${headerField(HEADERS.contentType)} must be ${CONTENT_TYPE_JSON}, not ${String(meta.contentType)}`,
      headerField(HEADERS.contentType),
    );
  }
  if (meta.traceparent !== undefined && !isTraceparent(meta.traceparent)) {
    return invalid(HEADERS.traceparent, 'must be a W3C traceparent of version 00');
  }
  if (meta.tracestate !== undefined) {
    if (meta.traceparent === undefined)
      return invalid(HEADERS.tracestate, `is only allowed with ${HEADERS.traceparent}`);
    if (meta.tracestate.length > MAX_TRACESTATE_LENGTH) {
      return invalid(HEADERS.tracestate, `must be at most ${MAX_TRACESTATE_LENGTH} characters`);
    }
  }
  if (!Number.isInteger(meta.eventVersion) || !EVENT_VERSION.test(String(meta.eventVersion))) {
    return invalid(HEADERS.eventVersion, 'must be a positive integer');
  }
  return validateStrings({
    eventId: meta.eventId,
    eventType: meta.eventType,
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    producer: meta.producer,
    occurredAt: meta.occurredAt,
  });
}

function invalid(name: HeaderName, problem: string): ContractFailure {
  return contractFailure('CTR_INVALID_HEADER', `${headerField(name)} ${problem}`, headerField(name));
}

function validateStrings(values: {
  eventId: string;
  eventType: string;
  correlationId: string;
  causationId: string | undefined;
  producer: string;
  occurredAt: string;
}): ContractFailure | undefined {
  if (!isCanonicalUuid(values.eventId)) return invalid(HEADERS.eventId, 'must be a lowercase UUID');
  if (!EVENT_TYPE.test(values.eventType)) return invalid(HEADERS.eventType, 'must be a PascalCase event type');
  if (!isCanonicalUuid(values.correlationId)) return invalid(HEADERS.correlationId, 'must be a lowercase UUID');
  if (values.causationId !== undefined && !isCanonicalUuid(values.causationId)) {
    return invalid(HEADERS.causationId, 'must be a lowercase UUID');
  }
  if (values.producer.length > MAX_HEADER_VALUE_LENGTH || !PRODUCER.test(values.producer)) {
    return invalid(HEADERS.producer, 'must be a kebab-case service name');
  }
  if (!isUtcTimestamp(values.occurredAt)) {
    return invalid(HEADERS.occurredAt, 'must be an ISO 8601 UTC timestamp ending in Z');
  }
  return undefined;
}

/** Encodes metadata as Kafka headers (UTF-8 values), after {@link validateEventMeta}; throws a contract {@link AppError}. */
export function encodeHeaders(meta: EventMeta): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(encodeHeadersAsText(meta))) headers[name] = Buffer.from(value, 'utf8');
  return headers;
}

/**
 * The same headers as {@link encodeHeaders}, as text: for storing next to the value (an outbox row's
 * JSON column) and turning into bytes when published. Validates like {@link encodeHeaders}. Each value is the
 * text its UTF-8 bytes decode to (a lone surrogate becomes U+FFFD, as the bytes would carry it).
 */
export function encodeHeadersAsText(meta: EventMeta): Record<string, string> {
  const failure = validateEventMeta(meta);
  if (failure !== undefined) throw contractFailureError(failure);
  const headers: Record<string, string> = {};
  for (const spec of HEADER_SPECS) {
    const value = meta[spec.field];
    if (value !== undefined) headers[spec.name] = String(value).toWellFormed();
  }
  return headers;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function asText(value: Buffer | Uint8Array | string): string {
  return typeof value === 'string' ? value : STRICT_UTF8.decode(value);
}

function isIterable(input: HeaderInput): input is Iterable<readonly [Buffer | Uint8Array | string, HeaderValue]> {
  return typeof (input as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** Trace Context headers: a receiver ignores them when unusable (W3C), it never rejects the record. */
const TRACE_HEADERS: ReadonlySet<string> = new Set([HEADERS.traceparent, HEADERS.tracestate]);

/**
 * Reads headers into name → text. Only contract headers are read; others (dead-letter and replay
 * headers, for example) pass untouched. A contract header that appears twice, has no value, or is
 * not UTF-8 is a failure: which copy to believe would be a guess. For the trace headers the same
 * problems make both of them unusable instead, and they are left out.
 */
function readContractHeaders(input: HeaderInput): Map<string, string> | ContractFailure {
  const entries = isIterable(input) ? input : Object.entries(input);
  const known = new Set<string>(Object.values(HEADERS));
  const result = new Map<string, string>();
  let traceUnusable = false;
  for (const [rawName, rawValue] of entries) {
    let name: string;
    try {
      name = asText(rawName);
    } catch {
      continue; // a header whose name is not UTF-8 cannot be one of ours
    }
    if (!known.has(name) || rawValue === undefined) continue;
    const field = `/headers/${name}`;
    let text: string | undefined;
    try {
      text = rawValue === null ? undefined : asText(rawValue);
    } catch {
      text = undefined;
    }
    if (TRACE_HEADERS.has(name)) {
      if (result.has(name) || text === undefined) traceUnusable = true;
      else result.set(name, text);
      continue;
    }
    if (result.has(name)) return contractFailure('CTR_INVALID_HEADER', `${field} appears more than once`, field);
    if (rawValue === null) return contractFailure('CTR_INVALID_HEADER', `${field} has no value`, field);
    if (text === undefined) return contractFailure('CTR_INVALID_HEADER', `${field} is not valid UTF-8`, field);
    result.set(name, text);
  }
  if (traceUnusable) {
    for (const name of TRACE_HEADERS) result.delete(name);
  }
  return result;
}

function isJsonContentType(value: string): boolean {
  const [mediaType, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== CONTENT_TYPE_JSON) return false;
  return parameters.every((parameter) => parameter === 'charset=utf-8');
}

/**
 * Decodes and validates the contract headers of a consumed record. Required headers must be present
 * and well-formed; a malformed, duplicated or non-UTF-8 `traceparent` (with its `tracestate`), or an
 * oversized `tracestate`, is dropped, not rejected: the W3C spec requires a receiver to ignore it, and
 * a bad trace id is no reason to dead-letter an order. A header given as `undefined` (plain-object
 * input) counts as absent.
 */
export function decodeHeaders(input: HeaderInput): { readonly ok: true; readonly meta: EventMeta } | ContractFailure {
  const headers = readContractHeaders(input);
  if (!(headers instanceof Map)) return headers;
  for (const spec of HEADER_SPECS) {
    if (spec.required && !headers.has(spec.name)) {
      return contractFailure('CTR_MISSING_HEADER', `${headerField(spec.name)} is required`, headerField(spec.name));
    }
  }
  for (const [name, value] of headers) {
    if (TRACE_HEADERS.has(name)) continue;
    const limit = MAX_HEADER_VALUE_LENGTH;
    if (value.length > limit) {
      return contractFailure(
        'CTR_INVALID_HEADER',
        `/headers/${name} is longer than ${limit} characters`,
        `/headers/${name}`,
      );
    }
  }
  const contentType = headers.get(HEADERS.contentType) as string;
  if (!isJsonContentType(contentType)) {
    return contractFailure(
      'CTR_UNSUPPORTED_CONTENT_TYPE',
      `${headerField(HEADERS.contentType)} is ${contentType}; only ${CONTENT_TYPE_JSON} is supported`,
      headerField(HEADERS.contentType),
    );
  }
  const version = headers.get(HEADERS.eventVersion) as string;
  if (!EVENT_VERSION.test(version)) return invalid(HEADERS.eventVersion, 'must be a positive integer');
  const values = {
    eventId: headers.get(HEADERS.eventId) as string,
    eventType: headers.get(HEADERS.eventType) as string,
    correlationId: headers.get(HEADERS.correlationId) as string,
    causationId: headers.get(HEADERS.causationId),
    producer: headers.get(HEADERS.producer) as string,
    occurredAt: headers.get(HEADERS.occurredAt) as string,
  };
  const failure = validateStrings(values);
  if (failure !== undefined) return failure;
  const traceparent = headers.get(HEADERS.traceparent);
  const tracestate = headers.get(HEADERS.tracestate);
  const trace =
    traceparent !== undefined && isTraceparent(traceparent)
      ? tracestate !== undefined && tracestate.length > 0 && tracestate.length <= MAX_TRACESTATE_LENGTH
        ? { traceparent, tracestate }
        : { traceparent }
      : {};
  const meta: EventMeta = {
    eventId: values.eventId,
    eventType: values.eventType,
    eventVersion: Number(version),
    contentType: CONTENT_TYPE_JSON,
    correlationId: values.correlationId,
    ...(values.causationId === undefined ? {} : { causationId: values.causationId }),
    ...trace,
    producer: values.producer,
    occurredAt: values.occurredAt,
  };
  return { ok: true, meta };
}

/**
 * The text of one header, or `undefined` when absent or not UTF-8; for tools that need a header
 * without decoding the whole set. When the header appears more than once, the last value wins.
 */
export function readHeader(input: HeaderInput, name: string): string | undefined {
  const entries = isIterable(input) ? input : Object.entries(input);
  let found: string | undefined;
  for (const [rawName, rawValue] of entries) {
    try {
      if (asText(rawName) === name && rawValue !== null && rawValue !== undefined) found = asText(rawValue);
    } catch {
      // not UTF-8: not a header this function can return
    }
  }
  return found;
}
