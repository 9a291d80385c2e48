import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMoney } from '../../src/domain/money.ts';

test('formatMoney should print minor units with the currency’s own number of decimals', () => {
  assert.equal(formatMoney({ amountMinor: 4499, currency: 'EUR' }), 'EUR 44.99');
  assert.equal(formatMoney({ amountMinor: 5, currency: 'EUR' }), 'EUR 0.05');
  assert.equal(formatMoney({ amountMinor: 123456, currency: 'EUR' }), 'EUR 1,234.56');
  assert.equal(formatMoney({ amountMinor: 1200, currency: 'JPY' }), 'JPY 1,200');
  assert.equal(formatMoney({ amountMinor: 1005, currency: 'BHD' }), 'BHD 1.005');
});

test('formatMoney should be exact for the largest amount a contract allows', () => {
  assert.equal(formatMoney({ amountMinor: Number.MAX_SAFE_INTEGER, currency: 'EUR' }), 'EUR 90,071,992,547,409.91');
});
