import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LINES_PER_ORDER, MAX_REASON_MESSAGE_LENGTH, MAX_SKU_LENGTH } from '@shop/contracts/values';
import { itemsUnavailableReason, type LineFailure } from '../../src/domain/cancel-reason.ts';

test('itemsUnavailableReason should name every failed line with what is wrong with it', () => {
  const reason = itemsUnavailableReason([
    { sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 },
    { sku: 'TEE-M-BLK', reason: 'INSUFFICIENT_STOCK', requested: 1, available: 0 },
    { sku: 'MUG-GOLD', reason: 'UNKNOWN_SKU', requested: 1 },
  ]);
  assert.equal(reason.code, 'ITEMS_UNAVAILABLE');
  assert.match(reason.message, /MUG-RED: 2 ordered, only 1 available/);
  assert.match(reason.message, /TEE-M-BLK is out of stock/);
  assert.match(reason.message, /MUG-GOLD is not sold here/);
});

test('itemsUnavailableReason should stay within the contract length for the largest order and count what it leaves out', () => {
  const failures: LineFailure[] = Array.from({ length: MAX_LINES_PER_ORDER }, (_, index) => ({
    sku: `${String(index).padStart(3, '0')}${'X'.repeat(MAX_SKU_LENGTH - 3)}`,
    reason: 'UNKNOWN_SKU',
    requested: 1,
  }));
  const reason = itemsUnavailableReason(failures);
  assert.ok(reason.message.length <= MAX_REASON_MESSAGE_LENGTH, `${reason.message.length} characters`);
  const shown = reason.message.match(/is not sold here/g)?.length ?? 0;
  assert.ok(shown >= 1);
  assert.match(reason.message, new RegExp(`and ${MAX_LINES_PER_ORDER - shown} more\\.$`));
});
