import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSUMERS, consumer, RETRY_DELAYS_MS, RETRY_TIERS, retryDelayMs } from '../src/consumers.ts';
import { businessTopics } from '../src/topics.ts';

test('consumer group ids should be <service>.<kebab-case name> and unique', () => {
  for (const reader of CONSUMERS) {
    assert.match(reader.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.equal(reader.groupId, `${reader.service}.${reader.name}`);
  }
  assert.equal(new Set(CONSUMERS.map((reader) => reader.groupId)).size, CONSUMERS.length);
  assert.equal(new Set(CONSUMERS.map((reader) => reader.id)).size, CONSUMERS.length);
});

test("every consumer should read at least one business topic and never its own service's topics", () => {
  const business = new Map(businessTopics().map((definition) => [definition.id, definition]));
  for (const reader of CONSUMERS) {
    assert.ok(reader.sources.length > 0);
    for (const source of reader.sources) {
      const definition = business.get(source);
      assert.ok(definition !== undefined, `${reader.groupId} reads unknown topic ${source}`);
      assert.notEqual(definition.owner, reader.service, `${reader.groupId} reads its own service's topic`);
    }
  }
});

test('consumer lookup should return the consumer and fail loudly for an unknown id', () => {
  for (const reader of CONSUMERS) assert.equal(consumer(reader.id), reader);
  assert.throws(() => consumer('nobody' as never), /no consumer nobody/);
});

test('there should be one default delay per retry tier', () => {
  assert.equal(RETRY_DELAYS_MS.length, RETRY_TIERS.length);
  assert.deepEqual(
    RETRY_TIERS.map((tier) => retryDelayMs(tier)),
    [...RETRY_DELAYS_MS],
  );
});
