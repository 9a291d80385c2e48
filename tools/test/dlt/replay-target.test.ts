import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_HEADERS, retryTopicsOf, topicName } from '@shop/contracts';
import { kafkaNamespace } from '@shop/platform';
import { checkTargetFor, parseTarget, resolveTarget } from '../../src/dlt/replay-target.ts';
import { deadLetter, namespace } from './dead-letter-fixture.ts';

test('parseTarget should default to the retry tier and accept source or a catalog topic id or name', () => {
  assert.deepEqual(parseTarget(undefined, namespace), { kind: 'retry' });
  assert.deepEqual(parseTarget('source', namespace), { kind: 'source' });
  const byId = parseTarget('reserveStockRetry2', namespace);
  assert.equal(byId.kind === 'topic' && byId.definition.id, 'reserveStockRetry2');
  const byName = parseTarget(namespace.topic(topicName('orderPlaced')), namespace);
  assert.equal(byName.kind === 'topic' && byName.definition.id, 'orderPlaced');
  assert.throws(() => parseTarget('no-such-topic', namespace), { code: 'DLT_UNKNOWN_TOPIC' });
});

test('checkTargetFor should refuse a topic the failing consumer does not read', () => {
  assert.throws(() => checkTargetFor(parseTarget('paymentCommands', namespace), ['reserveStock']), {
    code: 'DLT_INVALID_TARGET',
  });
  assert.throws(() => checkTargetFor(parseTarget('orderSagaRetry1', namespace), ['reserveStock']), {
    code: 'DLT_INVALID_TARGET',
  });
  assert.throws(() => checkTargetFor(parseTarget('reserveStockDeadLetter', namespace), ['reserveStock']), {
    code: 'DLT_INVALID_TARGET',
  });
  assert.throws(() => checkTargetFor(parseTarget('orderPlaced', namespace), ['reserveStock', 'orderSaga']), {
    code: 'DLT_INVALID_TARGET',
  });
  checkTargetFor(parseTarget('orderPlaced', namespace), ['reserveStock']);
  checkTargetFor(parseTarget('reserveStockRetry3', namespace), ['reserveStock']);
});

test('resolveTarget should resolve an explicit retry tier with its tier number, in the namespace', () => {
  const target = resolveTarget(parseTarget('reserveStockRetry2', namespace), deadLetter(), namespace);
  assert.deepEqual(target, {
    topic: namespace.topic(retryTopicsOf('reserveStock')[1]?.name ?? ''),
    tier: 2,
    alsoDeliveredTo: [],
  });
});

test('resolveTarget should not follow an original-topic header from another namespace', () => {
  const foreign = deadLetter({
    headers: { [FAILURE_HEADERS.originalTopic]: kafkaNamespace('other').topic(topicName('orderPlaced')) },
  });
  const target = resolveTarget(parseTarget('source', namespace), foreign, namespace);
  assert.ok('unresolved' in target);
});
