import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ContractErrorCode, isContractError } from '../src/errors.ts';
import type { AnyEventDefinition } from '../src/events/define-event.ts';
import { InventoryFailedV1 } from '../src/events/inventory-failed.ts';
import { InventoryReservedV1 } from '../src/events/inventory-reserved.ts';
import { OrderCancelledV1 } from '../src/events/order-cancelled.ts';
import { OrderPlacedV1 } from '../src/events/order-placed.ts';
import { listDefinitions } from '../src/events/registry.ts';
import { type EventMeta, encodeHeaders, HEADERS } from '../src/headers.ts';
import {
  createEventCodec,
  type DecodeResult,
  decodeRecord,
  type EncodedRecord,
  encodeEvent,
  newEventMeta,
} from '../src/serialization.ts';
import type { ServiceName } from '../src/services.ts';
import { businessTopics, retryTopicsOf, topicName, topicsCarrying } from '../src/topics.ts';
import { V1_READER_REGISTRY, V2_REGISTRY, WIDGET_ID, WIDGET_TOPIC, WidgetMadeV2 } from './support/widget-registry.ts';

const CORRELATION_ID = '0d3b7c55-2b9f-4a35-8c1e-7e9a0f4b2d61';

function producerOf(type: string): ServiceName {
  const carrier = businessTopics().find((definition) => (definition.events as readonly string[]).includes(type));
  assert.ok(carrier !== undefined, `${type} has no topic`);
  return carrier.owner;
}

/** Encodes `payload` as `definition`'s type and version, bypassing static payload types (for generic loops). */
function encodeAny(definition: AnyEventDefinition, payload: unknown): EncodedRecord {
  const meta = newEventMeta({
    type: definition.type as 'OrderPlaced',
    version: definition.version,
    producer: producerOf(definition.type),
    correlationId: CORRELATION_ID,
  });
  return encodeEvent({ meta, payload: payload as never });
}

function placedRecord(): EncodedRecord {
  return encodeAny(OrderPlacedV1, OrderPlacedV1.example);
}

function expectFailure(result: DecodeResult, code: ContractErrorCode, field?: string): string {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) return '';
  assert.equal(result.code, code, result.reason);
  if (field !== undefined) {
    assert.equal(result.field, field);
    assert.ok(result.reason.includes(field), `reason should name ${field}: ${result.reason}`);
  }
  return result.reason;
}

function expectEncodeError(action: () => unknown, code: ContractErrorCode, field?: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isContractError(error), String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.retryable, false);
    if (field !== undefined) assert.equal(error.details?.field, field);
    return true;
  });
}

describe('round trip', () => {
  for (const definition of listDefinitions()) {
    test(`${definition.type} v${definition.version} should survive encode then decode unchanged`, () => {
      const record = encodeAny(definition, definition.example);
      const [businessTopic] = topicsCarrying(definition.type);
      assert.equal(record.topic, businessTopic?.name);
      assert.equal(record.key, (definition.example as Record<string, unknown>)[definition.key]);
      const result = decodeRecord(record.value, record.headers, { topic: record.topic, key: Buffer.from(record.key) });
      assert.ok(result.ok, result.ok ? '' : result.reason);
      assert.deepEqual(result.event, {
        type: definition.type,
        version: definition.version,
        payload: definition.example,
      });
      assert.deepEqual(result.meta, record.meta);
      // The text form an outbox stores decodes to the same metadata.
      const fromText = decodeRecord(record.value, record.headersText);
      assert.deepEqual(fromText.ok && fromText.meta, record.meta);
      assert.equal(result.readAsVersion, definition.version);
    });
  }

  test("a record forwarded to a consumer's retry tier should still decode there", () => {
    const record = placedRecord();
    const [tier] = retryTopicsOf('reserveStock');
    assert.ok(tier !== undefined);
    assert.equal(decodeRecord(record.value, record.headers, { topic: tier.name }).ok, true);
  });

  test('narrowing on event.type should give the payload of that type', () => {
    const record = encodeAny(InventoryFailedV1, InventoryFailedV1.example);
    const result = decodeRecord(record.value, record.headers);
    assert.ok(result.ok);
    if (result.event.type === 'InventoryFailed') {
      const [first] = result.event.payload.failures;
      // Compile-time check as much as a runtime one: `failures` exists only on InventoryFailed.
      assert.equal(first?.reason, 'INSUFFICIENT_STOCK');
      assert.equal(first?.reason === 'INSUFFICIENT_STOCK' ? first.available : undefined, 1);
    } else {
      assert.fail(`unexpected ${result.event.type}`);
    }
  });

  test('newEventMeta should generate ids, the current time, the latest version and a root trace', () => {
    const before = Date.now();
    const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: CORRELATION_ID });
    assert.match(meta.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(meta.eventVersion, 1);
    assert.ok(Date.parse(meta.occurredAt) >= before - 1);
    assert.match(meta.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(meta.causationId, undefined);
    const other = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: CORRELATION_ID });
    assert.notEqual(other.eventId, meta.eventId);
  });
});

describe('encoding refuses what must never reach Kafka', () => {
  test('a payload missing a field should throw CTR_SCHEMA_INVALID naming it', () => {
    expectEncodeError(
      () => encodeAny(OrderPlacedV1, { orderId: OrderPlacedV1.example.orderId }),
      'CTR_SCHEMA_INVALID',
      '/value/lines',
    );
  });

  test('a payload with a wrong type should throw naming the field', () => {
    const payload = { ...OrderPlacedV1.example, lines: [{ sku: 'MUG-RED', quantity: 1.5 }] };
    expectEncodeError(() => encodeAny(OrderPlacedV1, payload), 'CTR_SCHEMA_INVALID', '/value/lines/0/quantity');
  });

  test('a payload with an unknown field should throw naming the field', () => {
    expectEncodeError(
      () => encodeAny(OrderPlacedV1, { ...OrderPlacedV1.example, email: 'x@example.com' }),
      'CTR_SCHEMA_INVALID',
      '/value/email',
    );
  });

  test('a payload breaking an invariant should throw naming the field', () => {
    const duplicate = {
      ...OrderPlacedV1.example,
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 2 },
      ],
    };
    expectEncodeError(() => encodeAny(OrderPlacedV1, duplicate), 'CTR_SCHEMA_INVALID', '/value/lines/1/sku');
    const wrongTotal = { ...InventoryReservedV1.example, total: { amountMinor: 1, currency: 'EUR' } };
    expectEncodeError(
      () => encodeAny(InventoryReservedV1, wrongTotal),
      'CTR_SCHEMA_INVALID',
      '/value/total/amountMinor',
    );
  });

  test('the bytes validated should be the bytes sent: undefined optional fields vanish, NaN does not pass', () => {
    const cancelled = { ...OrderCancelledV1.example, refunded: undefined };
    const record = encodeAny(OrderCancelledV1, cancelled);
    assert.equal(JSON.parse(record.value.toString()).refunded, undefined);
    const nan = { ...OrderPlacedV1.example, lines: [{ sku: 'A', quantity: Number.NaN }] };
    expectEncodeError(() => encodeAny(OrderPlacedV1, nan), 'CTR_SCHEMA_INVALID', '/value/lines/0/quantity');
    expectEncodeError(() => encodeAny(OrderPlacedV1, { orderId: 1n }), 'CTR_SCHEMA_INVALID', '/value');
  });

  test('an unknown type or version should throw', () => {
    expectEncodeError(
      () =>
        newEventMeta({
          type: 'OrderShipped' as 'OrderPlaced',
          producer: 'order-service',
          correlationId: CORRELATION_ID,
        }),
      'CTR_UNKNOWN_EVENT_TYPE',
    );
    expectEncodeError(
      () => encodeAny({ ...OrderPlacedV1, version: 9 } as AnyEventDefinition, OrderPlacedV1.example),
      'CTR_UNKNOWN_SCHEMA_VERSION',
      '/headers/event-version',
    );
  });

  test('a service writing to a topic it does not own should throw CTR_NOT_TOPIC_OWNER', () => {
    const meta = newEventMeta({ type: 'OrderPlaced', producer: 'inventory-service', correlationId: CORRELATION_ID });
    expectEncodeError(
      () => encodeEvent({ meta, payload: OrderPlacedV1.example }),
      'CTR_NOT_TOPIC_OWNER',
      '/headers/producer',
    );
  });

  test('an explicit topic that does not carry the type, or a retry topic, should throw CTR_WRONG_TOPIC', () => {
    const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: CORRELATION_ID });
    expectEncodeError(
      () => encodeEvent({ meta, payload: OrderPlacedV1.example, topic: 'orderOutcomes' }),
      'CTR_WRONG_TOPIC',
    );
    expectEncodeError(
      () => encodeEvent({ meta, payload: OrderPlacedV1.example, topic: 'reserveStockRetry1' }),
      'CTR_WRONG_TOPIC',
    );
    assert.equal(
      encodeEvent({ meta, payload: OrderPlacedV1.example, topic: 'orderPlaced' }).topic,
      topicName('orderPlaced'),
    );
  });

  test('invalid metadata should throw before the payload is looked at', () => {
    const meta = {
      ...newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: CORRELATION_ID }),
      eventId: 'x',
    };
    expectEncodeError(
      () => encodeEvent({ meta, payload: OrderPlacedV1.example }),
      'CTR_INVALID_HEADER',
      '/headers/event-id',
    );
  });
});

describe('decoding turns poison into a reason', () => {
  test('a missing field should be CTR_SCHEMA_INVALID naming the field', () => {
    const { headers } = placedRecord();
    const value = Buffer.from(JSON.stringify({ orderId: OrderPlacedV1.example.orderId }));
    expectFailure(decodeRecord(value, headers), 'CTR_SCHEMA_INVALID', '/value/lines');
  });

  test('a wrong type should be CTR_SCHEMA_INVALID naming the field', () => {
    const { headers } = placedRecord();
    const value = Buffer.from(JSON.stringify({ ...OrderPlacedV1.example, lines: [{ sku: 'MUG-RED', quantity: '2' }] }));
    const reason = expectFailure(decodeRecord(value, headers), 'CTR_SCHEMA_INVALID', '/value/lines/0/quantity');
    assert.match(reason, /OrderPlaced v1: \/value\/lines\/0\/quantity must be integer/);
  });

  test('a wrong discriminator in a union should name the discriminator and the allowed values', () => {
    const { headers } = encodeAny(InventoryFailedV1, InventoryFailedV1.example);
    const value = Buffer.from(
      JSON.stringify({ ...InventoryFailedV1.example, failures: [{ sku: 'A', reason: 'GONE', requested: 1 }] }),
    );
    const reason = expectFailure(decodeRecord(value, headers), 'CTR_SCHEMA_INVALID', '/value/failures/0/reason');
    assert.match(reason, /must be one of "UNKNOWN_SKU", "INSUFFICIENT_STOCK"/);
    const incomplete = Buffer.from(
      JSON.stringify({
        ...InventoryFailedV1.example,
        failures: [{ sku: 'A', reason: 'INSUFFICIENT_STOCK', requested: 2 }],
      }),
    );
    expectFailure(decodeRecord(incomplete, headers), 'CTR_SCHEMA_INVALID', '/value/failures/0/available');
  });

  test('an unknown field, a non-UTC time or an uppercase id should be rejected', () => {
    const { headers } = placedRecord();
    expectFailure(
      decodeRecord(Buffer.from(JSON.stringify({ ...OrderPlacedV1.example, extra: 1 })), headers),
      'CTR_SCHEMA_INVALID',
      '/value/extra',
    );
    const upper = { ...OrderPlacedV1.example, orderId: OrderPlacedV1.example.orderId.toUpperCase() };
    expectFailure(decodeRecord(Buffer.from(JSON.stringify(upper)), headers), 'CTR_SCHEMA_INVALID', '/value/orderId');
  });

  test('a value that is not JSON, not UTF-8, not an object, or empty should be rejected', () => {
    const { headers } = placedRecord();
    expectFailure(decodeRecord(Buffer.from('{"orderId":'), headers), 'CTR_NOT_JSON', '/value');
    expectFailure(decodeRecord(Buffer.from([0xff, 0xfe, 0x7b]), headers), 'CTR_NOT_JSON', '/value');
    expectFailure(decodeRecord(Buffer.from('[1,2]'), headers), 'CTR_SCHEMA_INVALID', '/value');
    expectFailure(decodeRecord(Buffer.from('null'), headers), 'CTR_SCHEMA_INVALID', '/value');
    expectFailure(decodeRecord(Buffer.alloc(0), headers), 'CTR_EMPTY_VALUE');
    expectFailure(decodeRecord(null, headers), 'CTR_EMPTY_VALUE');
  });

  test('a missing header should be CTR_MISSING_HEADER naming it', () => {
    const { value, headers } = placedRecord();
    const { [HEADERS.eventId]: _dropped, ...rest } = headers;
    expectFailure(decodeRecord(value, rest), 'CTR_MISSING_HEADER', '/headers/event-id');
  });

  test('an unknown event type should be CTR_UNKNOWN_EVENT_TYPE', () => {
    const { value, meta } = placedRecord();
    const headers = encodeHeaders({ ...meta, eventType: 'OrderShipped' });
    expectFailure(decodeRecord(value, headers), 'CTR_UNKNOWN_EVENT_TYPE', '/headers/event-type');
  });

  test('an unknown version should be CTR_UNKNOWN_SCHEMA_VERSION when rejected or when it does not fit', () => {
    const { value, meta } = placedRecord();
    const v7 = encodeHeaders({ ...meta, eventVersion: 7 });
    expectFailure(
      decodeRecord(value, v7, { newerVersions: 'reject' }),
      'CTR_UNKNOWN_SCHEMA_VERSION',
      '/headers/event-version',
    );
    const misfit = Buffer.from(JSON.stringify({ orderId: meta.eventId }));
    expectFailure(decodeRecord(misfit, v7), 'CTR_UNKNOWN_SCHEMA_VERSION', '/value/lines');
    // A newer version that fits is read by the newest known schema.
    const read = decodeRecord(value, v7);
    assert.equal(read.ok && read.readAsVersion, 1);
    assert.equal(read.ok && read.event.version, 7);
  });

  test('an event on a topic that may not carry it should be CTR_WRONG_TOPIC', () => {
    const { value, headers } = placedRecord();
    expectFailure(decodeRecord(value, headers, { topic: topicName('orderOutcomes') }), 'CTR_WRONG_TOPIC');
    expectFailure(decodeRecord(value, headers, { topic: 'not-a-catalog.topic' }), 'CTR_WRONG_TOPIC');
  });

  test("a record key other than the payload's order id should be CTR_KEY_MISMATCH", () => {
    const { value, headers } = placedRecord();
    expectFailure(decodeRecord(value, headers, { key: 'someone-else' }), 'CTR_KEY_MISMATCH', '/value/orderId');
    expectFailure(decodeRecord(value, headers, { key: null }), 'CTR_KEY_MISMATCH', '/value/orderId');
  });

  test('a payload breaking an invariant should be rejected naming the field', () => {
    const { headers } = placedRecord();
    const value = Buffer.from(
      JSON.stringify({
        ...OrderPlacedV1.example,
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 1 },
        ],
      }),
    );
    expectFailure(decodeRecord(value, headers), 'CTR_SCHEMA_INVALID', '/value/lines/1/sku');
  });

  test('decodeRecord should never throw, whatever bytes arrive', () => {
    const { value, headers } = placedRecord();
    const samples: [Buffer | null, unknown][] = [
      [Buffer.from('\u0000\u0001'), headers],
      [value, {}],
      [value, new Map([[Buffer.from([0xff]), Buffer.from([0xff])]])],
      [value, [[HEADERS.eventVersion, '99999999999']]],
      [Buffer.from('{"__proto__":{"x":1}}'), headers],
      [null, []],
    ];
    for (const [sampleValue, sampleHeaders] of samples) {
      const result = decodeRecord(sampleValue, sampleHeaders as Record<string, Buffer>);
      assert.equal(result.ok, false);
    }
  });
});

describe('schema evolution: readers of one version read the other', () => {
  const writer = createEventCodec({ events: V2_REGISTRY, topics: [WIDGET_TOPIC] });
  const v1Reader = createEventCodec({ events: V1_READER_REGISTRY, topics: [WIDGET_TOPIC] });
  const v2Reader = writer;

  function widgetMeta(version: 1 | 2): EventMeta & { eventType: 'WidgetMade' } {
    return writer.newEventMeta({
      type: 'WidgetMade',
      version,
      producer: 'order-service',
      correlationId: CORRELATION_ID,
    });
  }

  test('a reader of v1 should read a v2 record by its v1 schema, ignoring the field it does not know', () => {
    const record = writer.encodeEvent({ meta: widgetMeta(2), payload: WidgetMadeV2.example });
    const result = v1Reader.decodeRecord(record.value, record.headers, { topic: WIDGET_TOPIC.name });
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.readAsVersion, 1);
    assert.equal(result.event.version, 2);
    assert.deepEqual(result.event.payload, { widgetId: WIDGET_ID, colour: 'BLUE' });
  });

  test('a reader of v2 should read a v1 record by the v1 schema', () => {
    const record = writer.encodeEvent({ meta: widgetMeta(1), payload: { widgetId: WIDGET_ID, colour: 'RED' } });
    const result = v2Reader.decodeRecord(record.value, record.headers);
    assert.ok(result.ok);
    assert.equal(result.readAsVersion, 1);
    assert.deepEqual(result.event.payload, { widgetId: WIDGET_ID, colour: 'RED' });
  });

  test('a v2 record whose shared fields break v1 should be CTR_UNKNOWN_SCHEMA_VERSION for a v1 reader, not a crash', () => {
    const record = writer.encodeEvent({ meta: widgetMeta(2), payload: WidgetMadeV2.example });
    const value = Buffer.from(JSON.stringify({ widgetId: WIDGET_ID, colour: 'GREEN', size: 1 }));
    expectFailure(
      v1Reader.decodeRecord(value, record.headers) as DecodeResult,
      'CTR_UNKNOWN_SCHEMA_VERSION',
      '/value/colour',
    );
  });

  test('a writer should refuse fields of a newer version in an older one', () => {
    expectEncodeError(
      () => writer.encodeEvent({ meta: widgetMeta(1), payload: WidgetMadeV2.example }),
      'CTR_SCHEMA_INVALID',
      '/value/size',
    );
  });
});
