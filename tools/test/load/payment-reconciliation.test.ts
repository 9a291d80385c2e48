import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OrderPayments, reconcilePayments } from '../../src/load/payment-reconciliation.ts';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const captured = (amount: number, refunded = 0) => ({
  status: 'CAPTURED',
  amount: eur(amount),
  refunded: eur(refunded),
});
const declined = (amount: number) => ({ status: 'DECLINED', amount: eur(amount), refunded: eur(0) });

test('money that matches every order should reconcile: captured − refunded = confirmed totals', () => {
  const payments = new Map<string, OrderPayments>([
    ['confirmed', { payments: [captured(2_500)] }],
    ['declined', { payments: [declined(1_000)] }],
    ['refunded', { payments: [captured(700, 700)] }],
  ]);
  const result = reconcilePayments(
    [
      { orderId: 'confirmed', status: 'CONFIRMED', total: eur(2_500) },
      { orderId: 'declined', status: 'CANCELLED', total: eur(1_000) },
      { orderId: 'refunded', status: 'CANCELLED', total: eur(700) },
      { orderId: 'no-stock', status: 'CANCELLED' },
    ],
    payments,
  );
  assert.deepEqual(result, {
    ok: true,
    checked: 4,
    capturedMinor: 3_200,
    refundedMinor: 700,
    confirmedTotalMinor: 2_500,
    mismatches: [],
  });
});

test('a missing capture, an unrefunded cancellation or a second capture should each be a mismatch', () => {
  const result = reconcilePayments(
    [
      { orderId: 'unpaid', status: 'CONFIRMED', total: eur(100) },
      { orderId: 'kept', status: 'CANCELLED', total: eur(200) },
      { orderId: 'twice', status: 'CONFIRMED', total: eur(300) },
    ],
    new Map([
      ['kept', { payments: [captured(200)] }],
      ['twice', { payments: [captured(300), captured(300, 300)] }],
    ]),
  );
  assert.equal(result.ok, false);
  assert.deepEqual(
    result.mismatches.map((m) => [m.orderId, m.expectedMinor, m.netMinor, m.captures]),
    [
      ['unpaid', 100, 0, 0],
      ['kept', 0, 200, 1],
      ['twice', 300, 300, 2],
    ],
  );
});
