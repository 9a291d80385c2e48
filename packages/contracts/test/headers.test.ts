import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isContractError } from '../src/errors.ts';
import {
  CONTENT_TYPE_JSON,
  causedBy,
  childTraceparent,
  decodeHeaders,
  type EventMeta,
  encodeHeaders,
  encodeHeadersAsText,
  HEADER_SPECS,
  HEADERS,
  isCanonicalUuid,
  isTraceparent,
  isUtcTimestamp,
  newTraceparent,
  readHeader,
  validateEventMeta,
} from '../src/headers.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function meta(overrides: Partial<EventMeta> = {}): EventMeta {
  return {
    eventId: '6f1c2a9e-0b7d-4c3e-9a51-2f8d4e6b7c10',
    eventType: 'OrderPlaced',
    eventVersion: 1,
    contentType: CONTENT_TYPE_JSON,
    correlationId: '0d3b7c55-2b9f-4a35-8c1e-7e9a0f4b2d61',
    causationId: 'e2a4c6b8-1d3f-4e5a-9b7c-0d2e4f6a8b9c',
    traceparent: TRACEPARENT,
    tracestate: 'vendor=abc',
    producer: 'order-service',
    occurredAt: '2025-06-01T12:00:00.000Z',
    ...overrides,
  };
}

function asStrings(headers: Record<string, Buffer>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.toString('utf8')]));
}

describe('encoding', () => {
  test('encodeHeaders should write every present field as UTF-8 under its header name', () => {
    assert.deepEqual(asStrings(encodeHeaders(meta())), {
      'event-id': '6f1c2a9e-0b7d-4c3e-9a51-2f8d4e6b7c10',
      'event-type': 'OrderPlaced',
      'event-version': '1',
      'content-type': 'application/json',
      'correlation-id': '0d3b7c55-2b9f-4a35-8c1e-7e9a0f4b2d61',
      'causation-id': 'e2a4c6b8-1d3f-4e5a-9b7c-0d2e4f6a8b9c',
      traceparent: TRACEPARENT,
      tracestate: 'vendor=abc',
      producer: 'order-service',
      'occurred-at': '2025-06-01T12:00:00.000Z',
    });
  });

  test('encodeHeadersAsText should give the same headers as text', () => {
    assert.deepEqual(encodeHeadersAsText(meta()), asStrings(encodeHeaders(meta())));
  });

  test('encodeHeaders should leave optional headers out when absent', () => {
    const { causationId: _c, traceparent: _t, tracestate: _s, ...required } = meta();
    assert.deepEqual(
      Object.keys(encodeHeaders(required)).sort(),
      HEADER_SPECS.filter((s) => s.required)
        .map((s) => s.name)
        .sort(),
    );
  });

  test('encodeHeaders should refuse malformed metadata with the header named', () => {
    const cases: [Partial<EventMeta>, string, string][] = [
      [{ eventId: 'not-a-uuid' }, 'CTR_INVALID_HEADER', '/headers/event-id'],
      [{ eventId: '6F1C2A9E-0B7D-4C3E-9A51-2F8D4E6B7C10' }, 'CTR_INVALID_HEADER', '/headers/event-id'],
      [{ eventId: '' }, 'CTR_MISSING_HEADER', '/headers/event-id'],
      [{ eventType: 'order-placed' }, 'CTR_INVALID_HEADER', '/headers/event-type'],
      [{ eventVersion: 0 }, 'CTR_INVALID_HEADER', '/headers/event-version'],
      [{ eventVersion: 1.5 }, 'CTR_INVALID_HEADER', '/headers/event-version'],
      [{ traceparent: '00-xyz' }, 'CTR_INVALID_HEADER', '/headers/traceparent'],
      [{ traceparent: undefined }, 'CTR_INVALID_HEADER', '/headers/tracestate'],
      [{ occurredAt: '2025-06-01T14:00:00+02:00' }, 'CTR_INVALID_HEADER', '/headers/occurred-at'],
      [{ producer: 'Order Service' }, 'CTR_INVALID_HEADER', '/headers/producer'],
      [
        { contentType: 'text/plain' as typeof CONTENT_TYPE_JSON },
        'CTR_UNSUPPORTED_CONTENT_TYPE',
        '/headers/content-type',
      ],
    ];
    for (const [override, code, field] of cases) {
      assert.throws(
        () => encodeHeaders(meta(override)),
        (error: unknown) => {
          assert.ok(isContractError(error), String(error));
          assert.equal(error.code, code, JSON.stringify(override));
          assert.equal(error.details?.field, field);
          return true;
        },
      );
    }
  });
});

describe('decoding', () => {
  test('decodeHeaders should read back what encodeHeaders wrote', () => {
    assert.deepEqual(decodeHeaders(encodeHeaders(meta())), { ok: true, meta: meta() });
  });

  test('decodeHeaders should accept the Map of Buffer keys a Kafka consumer hands over, and entry pairs', () => {
    const encoded = encodeHeaders(meta());
    const asMap = new Map(Object.entries(encoded).map(([name, value]) => [Buffer.from(name), value]));
    assert.deepEqual(decodeHeaders(asMap), { ok: true, meta: meta() });
    assert.deepEqual(decodeHeaders(Object.entries(encoded)), { ok: true, meta: meta() });
  });

  test('decodeHeaders should ignore headers that are not part of the contract', () => {
    const headers = { ...encodeHeaders(meta()), 'dlt-error-code': Buffer.from('X'), 'x-other': null };
    assert.deepEqual(decodeHeaders(headers), { ok: true, meta: meta() });
  });

  test('decodeHeaders should reject a missing required header, naming it', () => {
    for (const spec of HEADER_SPECS.filter((candidate) => candidate.required)) {
      const headers = encodeHeaders(meta());
      delete headers[spec.name];
      assert.deepEqual(decodeHeaders(headers), {
        ok: false,
        code: 'CTR_MISSING_HEADER',
        reason: `/headers/${spec.name} is required`,
        field: `/headers/${spec.name}`,
      });
    }
  });

  test('decodeHeaders should reject a contract header that appears twice, is null or is not UTF-8', () => {
    const entries = Object.entries(encodeHeaders(meta()));
    const twice = decodeHeaders([...entries, [HEADERS.eventId, Buffer.from(meta().eventId)]]);
    assert.equal(twice.ok, false);
    assert.equal(!twice.ok && twice.code, 'CTR_INVALID_HEADER');
    assert.equal(!twice.ok && twice.field, '/headers/event-id');
    const nullValue = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.eventType]: null });
    assert.equal(!nullValue.ok && nullValue.code, 'CTR_INVALID_HEADER');
    const notUtf8 = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.producer]: Buffer.from([0xc3, 0x28]) });
    assert.equal(!notUtf8.ok && notUtf8.reason, '/headers/producer is not valid UTF-8');
  });

  test('decodeHeaders should reject malformed ids, versions and timestamps', () => {
    const cases: [string, string][] = [
      [HEADERS.eventId, '12345'],
      [HEADERS.correlationId, 'abc'],
      [HEADERS.causationId, 'ABC'],
      [HEADERS.eventVersion, '01'],
      [HEADERS.eventVersion, 'two'],
      [HEADERS.occurredAt, 'yesterday'],
      [HEADERS.occurredAt, '2025-13-45T99:99:99Z'],
      [HEADERS.eventType, 'x'.repeat(300)],
    ];
    for (const [name, value] of cases) {
      const result = decodeHeaders({ ...encodeHeaders(meta()), [name]: value });
      assert.equal(result.ok, false, `${name}=${value}`);
      assert.equal(!result.ok && result.code, 'CTR_INVALID_HEADER');
      assert.equal(!result.ok && result.field, `/headers/${name}`);
    }
  });

  test('decodeHeaders should accept application/json with a UTF-8 charset and refuse other content types', () => {
    const charset = decodeHeaders({
      ...encodeHeaders(meta()),
      [HEADERS.contentType]: 'application/json; charset=utf-8',
    });
    assert.equal(charset.ok, true);
    const avro = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.contentType]: 'avro/binary' });
    assert.equal(!avro.ok && avro.code, 'CTR_UNSUPPORTED_CONTENT_TYPE');
  });

  test('decodeHeaders should drop duplicated, null or oversized trace headers instead of rejecting the event', () => {
    const entries = Object.entries(encodeHeaders(meta()));
    const twice = decodeHeaders([...entries, [HEADERS.traceparent, TRACEPARENT]]);
    assert.equal(twice.ok && twice.meta.traceparent, undefined);
    const nullState = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.tracestate]: null });
    assert.equal(nullState.ok && nullState.meta.traceparent, undefined);
    const longState = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.tracestate]: 'a=b,'.repeat(200) });
    assert.equal(longState.ok && longState.meta.traceparent, TRACEPARENT);
    assert.equal(longState.ok && longState.meta.tracestate, undefined);
  });

  test('decodeHeaders should drop a malformed traceparent and its tracestate instead of rejecting the event', () => {
    for (const bad of [
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
    ]) {
      const result = decodeHeaders({ ...encodeHeaders(meta()), [HEADERS.traceparent]: bad });
      assert.equal(result.ok, true);
      assert.equal(result.ok && result.meta.traceparent, undefined);
      assert.equal(result.ok && result.meta.tracestate, undefined);
    }
  });
});

describe('helpers', () => {
  test('value checks should accept canonical forms only', () => {
    assert.ok(isCanonicalUuid(crypto.randomUUID()));
    assert.ok(!isCanonicalUuid(crypto.randomUUID().toUpperCase()));
    assert.ok(isUtcTimestamp(new Date().toISOString()));
    assert.ok(!isUtcTimestamp('2025-06-01T12:00:00+00:00'));
    assert.ok(isTraceparent(TRACEPARENT));
    assert.ok(!isTraceparent(TRACEPARENT.toUpperCase()));
  });

  test('newTraceparent should make a valid root context and childTraceparent should keep the trace id', () => {
    const root = newTraceparent();
    assert.ok(isTraceparent(root));
    const child = childTraceparent(root);
    assert.ok(isTraceparent(child));
    assert.equal(child.split('-')[1], root.split('-')[1]);
    assert.notEqual(child.split('-')[2], root.split('-')[2]);
  });

  test('causedBy should carry the correlation id, point causation at the cause and continue its trace', () => {
    const cause = meta();
    const context = causedBy(cause);
    assert.equal(context.correlationId, cause.correlationId);
    assert.equal(context.causationId, cause.eventId);
    assert.equal(context.traceparent?.split('-')[1], TRACEPARENT.split('-')[1]);
    assert.equal(context.tracestate, 'vendor=abc');
    const { traceparent: _t, tracestate: _s, ...untraced } = cause;
    assert.deepEqual(causedBy(untraced), { correlationId: cause.correlationId, causationId: cause.eventId });
  });

  test('readHeader should return one header as text', () => {
    const headers = encodeHeaders(meta());
    assert.equal(readHeader(headers, HEADERS.eventType), 'OrderPlaced');
    assert.equal(readHeader(headers, 'absent'), undefined);
  });

  test('validateEventMeta should accept valid metadata', () => {
    assert.equal(validateEventMeta(meta()), undefined);
  });
});

describe('validation memo and trace ids', () => {
  test('validateEventMeta should check an object that is not frozen again after it changed', () => {
    const mutable = meta();
    assert.equal(validateEventMeta(mutable), undefined);
    (mutable as { eventId: string }).eventId = 'not-a-uuid';
    assert.equal(validateEventMeta(mutable)?.code, 'CTR_INVALID_HEADER');
  });

  test('a frozen object found valid should stay valid, and a frozen invalid one should stay refused', () => {
    const frozen = Object.freeze(meta());
    assert.equal(validateEventMeta(frozen), undefined);
    assert.equal(validateEventMeta(frozen), undefined);
    const invalid = Object.freeze(meta({ producer: 'Not A Service' }));
    assert.equal(validateEventMeta(invalid)?.code, 'CTR_INVALID_HEADER');
    assert.equal(validateEventMeta(invalid)?.code, 'CTR_INVALID_HEADER');
  });

  test('new trace ids should be valid and distinct across many random blocks', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const root = newTraceparent();
      const child = childTraceparent(root);
      assert.ok(isTraceparent(root) && isTraceparent(child), `${root} / ${child}`);
      seen.add(root.split('-')[1] as string);
      seen.add(child.split('-')[2] as string);
    }
    assert.equal(seen.size, 2_000);
  });
});
