import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { CONSUMER_GROUPS, CONSUMERS, FAILURE_HEADERS, topicName } from '@shop/contracts';
import { buildFilter, matchesFilter, resolveConsumer } from '../../src/dlt/dlt-filter.ts';
import { deadLetter, NOW, namespace } from './dead-letter-fixture.ts';

test('resolveConsumer should accept a consumer id, its main or retry group id, with or without the namespace', () => {
  assert.equal(resolveConsumer('reserveStock', namespace), 'reserveStock');
  assert.equal(resolveConsumer('inventory-service.reserve-stock', namespace), 'reserveStock');
  const tier2Group = CONSUMER_GROUPS.find((group) => group.topics.includes('reserveStockRetry2'))?.groupId ?? '';
  assert.equal(resolveConsumer(tier2Group, namespace), 'reserveStock');
  assert.equal(resolveConsumer('unit-ns.payment-service.process-payments', namespace), 'processPayments');
});

test('resolveConsumer should reject an unknown consumer with DLT_UNKNOWN_CONSUMER', () => {
  assert.throws(() => resolveConsumer('reserve-stock', namespace), { code: 'DLT_UNKNOWN_CONSUMER' });
});

test('buildFilter should read every consumer by default and only the readers of a given source topic', () => {
  assert.deepEqual(
    buildFilter({}, namespace, NOW).consumers,
    CONSUMERS.map((c) => c.id),
  );
  const bySource = buildFilter({ source: 'orderPlaced' }, namespace, NOW);
  assert.deepEqual(bySource.consumers, ['reserveStock']);
  assert.equal(bySource.sourceTopic, namespace.topic(topicName('orderPlaced')));
  assert.deepEqual(buildFilter({ source: topicName('orderPlaced') }, namespace, NOW).consumers, ['reserveStock']);
});

test('buildFilter should reject a source topic the consumer does not read, and a non-business source', () => {
  assert.throws(() => buildFilter({ source: 'orderPlaced', consumer: 'orderSaga' }, namespace, NOW), {
    code: 'DLT_INVALID_OPTION',
  });
  assert.throws(() => buildFilter({ source: 'reserveStockRetry1' }, namespace, NOW), { code: 'DLT_UNKNOWN_TOPIC' });
  assert.throws(() => buildFilter({ source: 'nope' }, namespace, NOW), { code: 'DLT_UNKNOWN_TOPIC' });
});

test('buildFilter should resolve times against now, split codes, and reject an empty time range', () => {
  const filter = buildFilter({ since: '2h', until: 'now', code: 'A, B,' }, namespace, NOW);
  assert.equal(filter.since, NOW - 7_200_000);
  assert.equal(filter.until, NOW);
  assert.deepEqual(filter.errorCodes, ['A', 'B']);
  assert.throws(() => buildFilter({ since: '1h', until: '2h' }, namespace, NOW), { code: 'DLT_INVALID_OPTION' });
});

test('buildFilter should refuse coordinates that do not name one dead-letter topic', () => {
  assert.throws(() => buildFilter({ offset: 3n }, namespace, NOW), { code: 'DLT_INVALID_OPTION' });
  assert.equal(buildFilter({ offset: 3n, consumer: 'reserveStock' }, namespace, NOW).offset, 3n);
  assert.equal(buildFilter({ partition: 0, source: 'orderPlaced' }, namespace, NOW).partition, 0);
});

test('matchesFilter should select by error code, key, order id, event id, source, coordinates and time', () => {
  const record = deadLetter({ offset: 7n, timestamp: NOW - 60_000 });
  const eventId = record.headers.get('event-id')?.toString();
  const matches = (options: Parameters<typeof buildFilter>[0]) =>
    matchesFilter(record, buildFilter({ consumer: 'reserveStock', ...options }, namespace, NOW));
  assert.equal(matches({}), true);
  assert.equal(matches({ code: 'INV_TEST_POISON' }), true);
  assert.equal(matches({ code: 'CTR_NOT_JSON' }), false);
  assert.equal(matches({ key: record.key ?? '' }), true);
  assert.equal(matches({ key: 'other' }), false);
  assert.equal(matches({ orderId: record.key ?? '' }), true);
  assert.equal(matches({ eventId: eventId ?? '' }), true);
  assert.equal(matches({ eventId: 'other' }), false);
  assert.equal(matches({ source: 'orderPlaced' }), true);
  assert.equal(matches({ consumer: 'orderSaga' }), false);
  assert.equal(matchesFilter(record, buildFilter({}, namespace, NOW)), true);
  assert.equal(matches({ partition: 0, offset: 7n }), true);
  assert.equal(matches({ offset: 8n }), false);
  assert.equal(matches({ since: '2m' }), true);
  assert.equal(matches({ since: '30s' }), false);
  assert.equal(matches({ until: '30s' }), true);
  assert.equal(matches({ until: '2m' }), false);
});

test('matchesFilter should find an order id in the payload when the key is not the order id', () => {
  const orderId = randomUUID();
  const record = deadLetter({ key: 'garbled', value: Buffer.from(JSON.stringify({ orderId, lines: [] })) });
  assert.equal(matchesFilter(record, buildFilter({ orderId }, namespace, NOW)), true);
  const notJson = deadLetter({ key: 'garbled', value: Buffer.from('not json{') });
  assert.equal(matchesFilter(notJson, buildFilter({ orderId }, namespace, NOW)), false);
});

test('matchesFilter should not match a record without the filtered header', () => {
  const record = deadLetter({ headers: { [FAILURE_HEADERS.errorCode]: undefined } });
  assert.equal(matchesFilter(record, buildFilter({ code: 'INV_TEST_POISON' }, namespace, NOW)), false);
});
