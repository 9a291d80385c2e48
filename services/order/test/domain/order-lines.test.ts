import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_QUANTITY_PER_LINE } from '@shop/contracts/values';
import { mergeLines, sameLines } from '../../src/domain/order-lines.ts';

test('mergeLines should sum lines naming the same SKU and keep each SKU where it first appeared', () => {
  const result = mergeLines([
    { sku: 'MUG-RED', quantity: 2 },
    { sku: 'TEE-M-BLK', quantity: 1 },
    { sku: 'MUG-RED', quantity: 3 },
  ]);
  assert.deepEqual(result, {
    ok: true,
    lines: [
      { sku: 'MUG-RED', quantity: 5 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
  });
});

test('mergeLines should keep SKUs that differ only in case apart (SKUs are case-sensitive)', () => {
  const result = mergeLines([
    { sku: 'mug', quantity: 1 },
    { sku: 'MUG', quantity: 1 },
  ]);
  assert.equal(result.ok && result.lines.length, 2);
});

test('mergeLines should refuse a SKU whose lines add up to more than the per-line maximum', () => {
  const result = mergeLines([
    { sku: 'MUG-RED', quantity: MAX_QUANTITY_PER_LINE },
    { sku: 'MUG-RED', quantity: 1 },
  ]);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.code, 'ORD_LINE_QUANTITY_TOO_LARGE');
  assert.deepEqual(
    mergeLines([{ sku: 'MUG-RED', quantity: MAX_QUANTITY_PER_LINE }]).ok,
    true,
    'the maximum itself is fine',
  );
});

test('sameLines should compare SKUs and quantities whatever the order of the lines', () => {
  const a = [
    { sku: 'A', quantity: 1 },
    { sku: 'B', quantity: 2 },
  ];
  assert.equal(sameLines(a, [...a].reverse()), true);
  assert.equal(sameLines(a, [{ sku: 'A', quantity: 1 }]), false);
  assert.equal(
    sameLines(a, [
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 3 },
    ]),
    false,
  );
  assert.equal(
    sameLines(a, [
      { sku: 'A', quantity: 1 },
      { sku: 'C', quantity: 2 },
    ]),
    false,
  );
});
