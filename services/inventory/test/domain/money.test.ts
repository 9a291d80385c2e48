import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SAFE_MINOR, totalOf } from '../../src/domain/money.ts';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

test('totalOf should sum quantity times unit price in minor units', () => {
  assert.deepEqual(
    totalOf([
      { quantity: 2, unitPrice: eur(1250) },
      { quantity: 1, unitPrice: eur(1999) },
    ]),
    { ok: true, money: eur(4499) },
  );
});

test('totalOf should refuse to add prices in different currencies, naming them', () => {
  const result = totalOf([
    { quantity: 1, unitPrice: eur(100) },
    { quantity: 1, unitPrice: { amountMinor: 100, currency: 'USD' } },
  ]);
  assert.equal(result.ok, false);
  assert.equal(result.ok === false && result.problem, 'MIXED_CURRENCIES');
  assert.match(result.ok === false ? result.message : '', /EUR, USD/);
});

test('totalOf should refuse a total beyond the largest exact amount instead of rounding it', () => {
  const exact = totalOf([{ quantity: 1, unitPrice: eur(MAX_SAFE_MINOR) }]);
  assert.deepEqual(exact, { ok: true, money: eur(MAX_SAFE_MINOR) });
  const tooLarge = totalOf([
    { quantity: 1, unitPrice: eur(MAX_SAFE_MINOR) },
    { quantity: 1, unitPrice: eur(1) },
  ]);
  assert.equal(tooLarge.ok === false && tooLarge.problem, 'AMOUNT_TOO_LARGE');
});

test('totalOf should be zero for free items', () => {
  assert.deepEqual(totalOf([{ quantity: 3, unitPrice: eur(0) }]), { ok: true, money: eur(0) });
});
