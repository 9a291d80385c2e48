/**
 * Generators of hostile HTTP requests for the four services' routes (fast-check arbitraries).
 *
 * Two kinds: a read (any GET route, any unknown route or method) may be answered with anything below 500;
 * a write (POST /orders, PUT /inventory/{sku}, cancel, operator retry) always carries at least one violation
 * the service must refuse (a body that breaks its schema, a malformed or oversized body, a wrong content
 * type, a bad path parameter or header, an order that does not exist), on top of random noise, so it must be
 * answered 4xx and change nothing. The valid parts of a write are valid at random, so that the violation,
 * not an earlier field, is often what is refused.
 */
import { MAX_SKU_LENGTH, SKU_PATTERN } from '@shop/contracts/values';
import fc from 'fast-check';

export type ServiceLabel = 'order' | 'inventory' | 'payment' | 'notification';

export interface HostileRequest {
  readonly service: ServiceLabel;
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Sent as is (already serialised), or none. */
  readonly payload?: string;
  /** A write the service must refuse: 4xx and no state change. */
  readonly mustReject: boolean;
  /** What the request tries, for the failure message. */
  readonly label: string;
}

/** Over the platform's 64 KiB body limit. */
const OVERSIZE_BYTES = 70 * 1024;

const uuid = fc.uuid();
const anyCaseUuid = uuid.map((id) => id.toUpperCase());
/** Text from the whole of Unicode, NUL and lone surrogates included. */
const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const binaryish = fc.string({ unit: 'binary', maxLength: 40 });
const withNul = fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`);
const longText = fc.integer({ min: 300, max: 20_000 }).map((n) => 'A'.repeat(n));
const sqlish = fc.constantFrom(
  "' OR '1'='1",
  '1; DROP TABLE orders; --',
  '$1',
  '%',
  '_',
  '\\',
  "'); SELECT pg_sleep(10); --",
);
const pathTricks = fc.constantFrom(
  '..',
  '../..',
  '%2e%2e%2f',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%',
  '%zz',
  '%C0%AE',
  '//',
  '.',
  ';',
  '?',
  '#',
  '%2F',
  '*',
  '~',
);
/** Any hostile text: for path segments, query values, body fields. */
export const hostileText = fc.oneof(
  unicode,
  binaryish,
  withNul,
  longText,
  sqlish,
  pathTricks,
  fc.constant(''),
  fc.integer().map(String),
  fc.double().map(String),
  anyCaseUuid,
  uuid.map((id) => `${id}x`),
);

/** Any JSON value, including deep and wide ones. */
const anyJson = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 20, max: 100 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 20, max: 100 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = { a: value };
      return value;
    }),
  },
);

function encodeSegment(text: string): string {
  // Some segments go raw (path tricks must reach the router as written), the rest percent-encoded.
  try {
    return /^[\x21-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '?'));
  }
}

function query(values: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      parts.push(`${encodeSegment(key)}=${encodeSegment(one)}`);
    }
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Header values HTTP can carry (visible Latin-1), many of them abusive. */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom('', ' ', 'null', 'undefined', '{}', '[]', '-1', '1e309', 'NaN'),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/JSON',
  'application/json, text/plain',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/merge-patch+json',
  '*/*',
  ';;;',
);

/** Random extra headers: spoofed proxies and tracing, junk, duplicates in case. */
const noiseHeaders = fc.dictionary(
  fc.constantFrom(
    'x-forwarded-for',
    'x-forwarded-host',
    'x-real-ip',
    'traceparent',
    'tracestate',
    'accept',
    'accept-encoding',
    'accept-language',
    'x-http-method-override',
    'cookie',
    'authorization',
    'origin',
    'range',
    'if-none-match',
    'x-junk',
  ),
  headerValue,
  { maxKeys: 4 },
);

/** A body that is not the route's JSON: not JSON at all, oversized, empty, or JSON of the wrong shape. */
const malformedPayload = fc.oneof(
  fc.constantFrom('', '{', '{"a":', 'null', '[]', '"text"', '1', 'true', '{"__proto__":{"admin":true}}', '\u0000'),
  unicode,
  fc.constant(`{"x":"${'y'.repeat(OVERSIZE_BYTES)}"}`),
  fc.integer({ min: 1, max: 3 }).map((n) => '['.repeat(10_000 * n)),
  // Valid JSON nested deeper than any value built in memory here (within the body limit).
  fc.integer({ min: 1_000, max: 30_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1_000, max: 10_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

/** Applies `violation` (a function of the valid body) and serialises. */
type Violation = (body: Record<string, unknown>) => unknown;

/** Replaces the value at `path` (creating nothing) with `value`. */
function at(path: readonly (string | number)[], value: unknown): Violation {
  return (body) => {
    const copy = structuredClone(body) as Record<string | number, unknown>;
    let node: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return copy;
  };
}

/** Something that is not of `kind`: a value of every other JSON type, or hostile text for non-strings. */
function notA(kind: 'string' | 'integer' | 'object' | 'array'): fc.Arbitrary<unknown> {
  const others: fc.Arbitrary<unknown>[] = [fc.constant(null), fc.boolean(), fc.dictionary(fc.string(), fc.integer())];
  if (kind !== 'string') others.push(hostileText);
  if (kind !== 'integer') others.push(fc.integer());
  if (kind !== 'array') others.push(fc.array(fc.integer(), { maxLength: 3 }));
  if (kind === 'integer') others.push(fc.double({ noInteger: true }), fc.constant(2 ** 53 + 2));
  if (kind === 'object' || kind === 'array') others.push(fc.integer());
  return fc.oneof(...others);
}

const SKU = new RegExp(SKU_PATTERN);
/** Text the SKU schema refuses. */
const isNotSku = (text: string) => !SKU.test(text) || text.length > MAX_SKU_LENGTH;

const SKU_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
const validSku = fc
  .string({ unit: fc.constantFrom(...SKU_CHARS.split('')), minLength: 1, maxLength: 20 })
  .map((s) => `F${s}`.replace(/-+$/, '').replace(/--+/g, '-') || 'F');

// No customerId: the customer is the bearer token's subject (a body naming one is refused, below).
const validOrderBody = fc.record({
  items: fc.array(fc.record({ sku: validSku, quantity: fc.integer({ min: 1, max: 10 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  contact: fc.record(
    { email: fc.emailAddress(), phone: fc.constantFrom('+441632960961', '+4915112345678') },
    { requiredKeys: ['email'] },
  ),
});

const orderViolation: fc.Arbitrary<{ label: string; apply: Violation }> = fc.oneof(
  fc.constantFrom('items', 'contact').map((field) => ({ label: `no ${field}`, apply: at([field], undefined) })),
  // Another customer's id (or anything) in the body: refused, never used instead of the token's subject.
  fc
    .oneof(uuid, notA('string'), hostileText)
    .map((v) => ({ label: 'a customerId in the body', apply: at(['customerId'], v) })),
  notA('array').map((v) => ({ label: 'items of a wrong type', apply: at(['items'], v) })),
  fc.constant({ label: 'no items', apply: at(['items'], []) }),
  fc.constant({
    label: 'too many items',
    apply: at(
      ['items'],
      Array.from({ length: 1_000 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })),
    ),
  }),
  fc
    .oneof(fc.integer({ max: 0 }), fc.integer({ min: 10_001 }), fc.double({ noInteger: true }), notA('integer'))
    .map((v) => ({ label: 'quantity out of range or of a wrong type', apply: at(['items', 0, 'quantity'], v) })),
  fc
    .oneof(fc.constant(''), longText, hostileText.filter(isNotSku), notA('string'))
    .map((v) => ({ label: 'bad sku', apply: at(['items', 0, 'sku'], v) })),
  fc
    .oneof(
      unicode.filter((s) => !s.includes('@')),
      longText,
      notA('string'),
    )
    .map((v) => ({ label: 'bad e-mail', apply: at(['contact', 'email'], v) })),
  fc
    .oneof(fc.constant(''), fc.constant('call me'), longText, notA('string'))
    .map((v) => ({ label: 'bad phone', apply: at(['contact', 'phone'], v) })),
  fc
    .tuple(fc.constantFrom('admin', 'status', 'total', '__proto__', 'constructor', 'orderId'), anyJson)
    .map(([key, v]) => ({
      label: `extra field ${key}`,
      apply: (body: Record<string, unknown>) => {
        const copy = structuredClone(body);
        Object.defineProperty(copy, key, { value: v, enumerable: true, configurable: true, writable: true });
        return copy;
      },
    })),
  anyJson
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => ({ label: 'not an object', apply: () => v })),
);

const validProductBody = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 50 }),
    available: fc.integer({ min: 0, max: 1_000 }),
    unitPrice: fc.record({ amountMinor: fc.integer({ min: 0, max: 100_000 }), currency: fc.constant('EUR') }),
  },
  { requiredKeys: ['available'] },
);

const productViolation: fc.Arbitrary<{ label: string; apply: Violation }> = fc.oneof(
  fc.constant({ label: 'no available', apply: at(['available'], undefined) }),
  fc
    .oneof(fc.integer({ max: -1 }), fc.integer({ min: 100_000_001 }), fc.double({ noInteger: true }), notA('integer'))
    .map((v) => ({ label: 'available out of range or of a wrong type', apply: at(['available'], v) })),
  fc
    .oneof(fc.constant(''), fc.constant('x'.repeat(201)), notA('string'))
    .map((v) => ({ label: 'bad name', apply: at(['name'], v) })),
  fc
    .oneof(
      notA('object'),
      fc.constant({ amountMinor: -1, currency: 'EUR' }),
      fc.constant({ amountMinor: 1, currency: 'eur' }),
    )
    .map((v) => ({ label: 'bad unit price', apply: at(['unitPrice'], v) })),
  fc.tuple(fc.constantFrom('reserved', 'sold', 'sku', '__proto__', 'totalUnits'), anyJson).map(([key, v]) => ({
    label: `extra field ${key}`,
    apply: (body: Record<string, unknown>) => {
      const copy = structuredClone(body);
      Object.defineProperty(copy, key, { value: v, enumerable: true, configurable: true, writable: true });
      return copy;
    },
  })),
  anyJson
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => ({ label: 'not an object', apply: () => v })),
);

/** A path parameter that is not a UUID (or a UUID no order has, for `existingIds: false`). */
const badIdSegment = fc.oneof(
  hostileText.filter((s) => s !== '' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)),
  pathTricks,
);

/** How a write breaks: its body (with the route's own violations), its encoding, or its headers. */
function brokenWrite(
  validBody: fc.Arbitrary<Record<string, unknown>>,
  violation: fc.Arbitrary<{ label: string; apply: Violation }>,
) {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(validBody, violation, fc.oneof(contentType, fc.constant('application/json')))
        .map(([body, v, type]) => {
          const broken = v.apply(body);
          return { label: v.label, payload: JSON.stringify(broken) ?? 'null', contentType: type };
        }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(malformedPayload, contentType).map(([payload, type]) => ({
        label: 'malformed or oversized body',
        payload,
        contentType: type,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          validBody,
          contentType.filter((t) => !t.toLowerCase().startsWith('application/json')),
        )
        .map(([body, type]) => ({ label: `valid body as ${type}`, payload: JSON.stringify(body), contentType: type })),
    },
  );
}

function noise(request: fc.Arbitrary<HostileRequest>): fc.Arbitrary<HostileRequest> {
  return fc
    .tuple(request, noiseHeaders)
    .map(([r, extra]): HostileRequest => ({ ...r, headers: { ...extra, ...r.headers } }));
}
const NO_HEADERS: Record<string, string> = {};

/** POST /orders that must be refused. */
const placeOrder: fc.Arbitrary<HostileRequest> = noise(
  fc
    .oneof(
      { weight: 5, arbitrary: brokenWrite(validOrderBody, orderViolation) },
      {
        // A valid body refused for its header.
        weight: 1,
        arbitrary: fc
          .tuple(
            validOrderBody,
            fc.oneof(
              fc.constant(''),
              fc.integer({ min: 256, max: 5_000 }).map((n) => 'k'.repeat(n)),
              fc.string({ minLength: 1, maxLength: 20 }).map((s) => `a b${s}`),
            ),
          )
          .map(([body, key]) => ({
            label: 'bad idempotency key',
            payload: JSON.stringify(body),
            contentType: 'application/json',
            key,
          })),
      },
    )
    .map((r) => ({
      service: 'order' as const,
      method: 'POST' as const,
      url: '/orders',
      headers: { 'content-type': r.contentType, ...('key' in r ? { 'idempotency-key': String(r.key) } : {}) },
      payload: r.payload,
      mustReject: true,
      label: `POST /orders: ${r.label}`,
    })),
);

/** PUT /inventory/{sku} that must be refused. */
const putProduct: fc.Arbitrary<HostileRequest> = noise(
  fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(fc.oneof(validSku, pathTricks), brokenWrite(validProductBody, productViolation))
          .map(([sku, r]) => ({ sku, ...r })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.oneof(hostileText.filter(isNotSku), fc.constant('-leading-dash'), fc.constant('X'.repeat(200))),
            validProductBody,
          )
          .map(([sku, body]) => ({
            // Encoded whole: the router sees exactly this SKU (a raw `?` would cut the path to a valid one).
            sku: encodeURIComponent(sku.replace(/[\ud800-\udfff]/g, '?')),
            label: 'bad sku in the path',
            payload: JSON.stringify(body),
            contentType: 'application/json',
          })),
      },
    )
    .map((r) => ({
      service: 'inventory' as const,
      method: 'PUT' as const,
      url: `/inventory/${r.sku}`,
      headers: { 'content-type': r.contentType },
      payload: r.payload,
      mustReject: true,
      label: `PUT /inventory: ${r.label}`,
    })),
);

/** Cancel and operator retry of orders that do not exist or are not ids. */
const sagaWrites: fc.Arbitrary<HostileRequest> = noise(
  fc
    .tuple(
      fc.constantFrom('/orders/{id}/cancel', '/sagas/{id}/retry'),
      fc.oneof(uuid, anyCaseUuid, badIdSegment),
      fc.option(
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          malformedPayload,
        ),
      ),
      contentType,
    )
    .map(([template, id, payload, type]) => ({
      service: 'order' as const,
      method: 'POST' as const,
      url: template.replace('{id}', encodeSegment(id)),
      headers: payload === null ? NO_HEADERS : { 'content-type': type },
      ...(payload === null ? {} : { payload }),
      mustReject: true,
      label: `POST ${template} for an order that does not exist`,
    })),
);

/** Any GET route with hostile parameters; `knownIds` are ids that exist (reads of real data). */
function reads(known: { orderId: string; customerId: string; sku: string }): fc.Arbitrary<HostileRequest> {
  const id = fc.oneof(uuid, anyCaseUuid, badIdSegment, fc.constant(known.orderId));
  const sku = fc.oneof(validSku, badIdSegment, fc.constant(known.sku));
  const queryValue = fc.oneof(
    hostileText,
    uuid,
    fc.constant(known.customerId),
    fc.integer({ min: -5, max: 99_999 }).map(String),
  );
  const queryOf = (keys: readonly string[]) =>
    fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), hostileText),
      fc.oneof(queryValue, fc.array(queryValue, { maxLength: 3 })),
      {
        maxKeys: 4,
      },
    );
  const route = fc.oneof(
    fc
      .tuple(id, queryOf(['wait']))
      .map(([v, q]) => ({ service: 'order' as const, url: `/orders/${encodeSegment(v)}${query(limitWait(q))}` })),
    queryOf(['customerId', 'limit', 'before']).map((q) => ({ service: 'order' as const, url: `/orders${query(q)}` })),
    queryOf(['after', 'limit']).map((q) => ({ service: 'inventory' as const, url: `/inventory${query(q)}` })),
    sku.map((v) => ({ service: 'inventory' as const, url: `/inventory/${encodeSegment(v)}` })),
    id.map((v) => ({ service: 'inventory' as const, url: `/reservations/${encodeSegment(v)}` })),
    queryOf(['orderId']).map((q) => ({ service: 'payment' as const, url: `/payments${query(q)}` })),
    queryOf(['orderId']).map((q) => ({ service: 'notification' as const, url: `/notifications${query(q)}` })),
    fc
      .tuple(
        fc.constantFrom<ServiceLabel>('order', 'inventory', 'payment', 'notification'),
        fc.constantFrom('/health', '/ready', '/metrics', '/openapi.json'),
      )
      .map(([service, url]) => ({ service, url })),
    fc
      .tuple(
        fc.constantFrom<ServiceLabel>('order', 'inventory', 'payment', 'notification'),
        fc.array(
          fc.oneof(
            pathTricks,
            hostileText.map(encodeSegment),
            fc.constantFrom('orders', 'inventory', 'ORDERS', 'admin'),
          ),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
      )
      .map(([service, segments]) => ({ service, url: `/${segments.join('/')}` })),
  );
  return noise(
    fc
      .tuple(
        route,
        fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH') as fc.Arbitrary<
          HostileRequest['method']
        >,
        fc.option(malformedPayload),
      )
      .map(([r, method, payload]) => ({
        ...r,
        method,
        headers: payload === null ? NO_HEADERS : { 'content-type': 'application/json' },
        ...(payload === null || method === 'GET' || method === 'HEAD' ? {} : { payload }),
        // A DELETE or PATCH matches no route: refused like any unknown route.
        mustReject: method === 'DELETE' || method === 'PATCH',
        label: `${method} ${r.url.split('?')[0]?.slice(0, 60)}`,
      })),
  );
}

/** A long-poll read waits at most a short time (a valid `wait` on a pending order holds the request). */
function limitWait(q: Record<string, string | string[]>): Record<string, string | string[]> {
  const wait = q.wait;
  if (typeof wait === 'string' && /^[0-9]{1,4}(\.[0-9]{1,3})?$/.test(wait)) return { ...q, wait: '0' };
  return q;
}

/** Valid bearer tokens of the callers the fuzz plays. */
export interface FuzzTokens {
  /** The customer of the known order. */
  customer: string;
  otherCustomer: string;
  operator: string;
  service: string;
}

/** The callers a route accepts, so that most requests get past the access check to validation and the route. */
function fitting(request: HostileRequest, tokens: FuzzTokens): string[] {
  const path = request.url.split('?')[0] ?? '';
  if (request.method === 'POST' && path === '/orders') return [tokens.customer, tokens.otherCustomer];
  if (request.method === 'PUT' && path.startsWith('/inventory/')) return [tokens.operator];
  if (path.startsWith('/sagas/')) return [tokens.operator];
  if (path.startsWith('/reservations/')) return [tokens.service, tokens.operator];
  if (path.startsWith('/payments') || path.startsWith('/notifications')) return [tokens.operator];
  return [tokens.customer, tokens.operator];
}

/**
 * Who the request claims to be: mostly a caller the route accepts (so that validation and the route behind the
 * access check are reached), else any valid caller (the wrong role), none, a token that is not one, or hostile
 * text. A request's own noise may still override it.
 */
function authorization(request: HostileRequest, tokens: FuzzTokens): fc.Arbitrary<Record<string, string>> {
  const all = Object.values(tokens);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...fitting(request, tokens)).map(bearer) },
    { weight: 2, arbitrary: fc.constantFrom(...all).map(bearer) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', 'bearer a.b.c', `Bearer ${'x'.repeat(5_000)}`),
          fc.constantFrom(...all).map((token) => `Bearer ${token.slice(0, -2)}`),
          headerValue,
        )
        .map((value) => ({ authorization: value })),
    },
  );
}

/** Every kind of hostile request, weighted towards the writes (they are what could change state). */
export function hostileRequest(known: {
  orderId: string;
  customerId: string;
  sku: string;
  tokens: FuzzTokens;
}): fc.Arbitrary<HostileRequest> {
  return fc
    .oneof(
      { weight: 4, arbitrary: placeOrder },
      { weight: 3, arbitrary: putProduct },
      { weight: 2, arbitrary: sagaWrites },
      { weight: 4, arbitrary: reads(known) },
    )
    .chain((request) =>
      authorization(request, known.tokens).map((auth) => ({ ...request, headers: { ...auth, ...request.headers } })),
    );
}
