import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSkus } from '../../src/load/load-run.ts';

// Regression: with fewer plentiful SKUs than the maximum lines per order, drawing distinct SKUs never ended
// and the load tool hung before sending anything.
test('chooseSkus should terminate and stay within the catalog when it has fewer SKUs than lines per order', () => {
  let seed = 1;
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  for (let i = 0; i < 1_000; i++) {
    const skus = chooseSkus(['A', 'B'], ['RARE'], 0.5, random);
    assert.ok(skus.size >= 1 && skus.size <= 3);
    for (const sku of skus) assert.ok(['A', 'B', 'RARE'].includes(sku));
  }
  assert.deepEqual([...chooseSkus(['ONLY'], [], 0, () => 0.99)], ['ONLY']);
});
