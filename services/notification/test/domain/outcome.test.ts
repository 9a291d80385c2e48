import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumer, topic } from '@shop/contracts';
import { OUTCOME_EVENT_TYPES } from '../../src/domain/outcome.ts';

test('the outcomes handled should be exactly the event types the catalog routes to notifyCustomers', () => {
  const routed = new Set(consumer('notifyCustomers').sources.flatMap((source) => topic(source).events));
  assert.deepEqual(new Set(OUTCOME_EVENT_TYPES), routed);
});
