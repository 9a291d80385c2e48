import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideReservation, type ProductStock } from '../../src/domain/reservation-decision.ts';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

function stockOf(...products: ProductStock[]): Map<string, ProductStock> {
  return new Map(products.map((product) => [product.sku, product]));
}

const MUG = { sku: 'MUG-RED', available: 10, unitPrice: eur(1250) };
const TEE = { sku: 'TEE-M-BLK', available: 3, unitPrice: eur(1999) };

test('decideReservation should reserve every line with its catalog price and the total', () => {
  const decision = decideReservation(
    [
      { sku: 'MUG-RED', quantity: 2 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    stockOf(MUG, TEE),
  );
  assert.deepEqual(decision, {
    outcome: 'RESERVED',
    lines: [
      { sku: 'MUG-RED', quantity: 2, unitPrice: eur(1250) },
      { sku: 'TEE-M-BLK', quantity: 1, unitPrice: eur(1999) },
    ],
    total: eur(4499),
  });
});

test('decideReservation should reserve a line that takes exactly the available units', () => {
  assert.equal(decideReservation([{ sku: 'TEE-M-BLK', quantity: 3 }], stockOf(TEE)).outcome, 'RESERVED');
});

test('decideReservation should fail the whole order when one line is short, listing only the failing line', () => {
  const decision = decideReservation(
    [
      { sku: 'MUG-RED', quantity: 1 },
      { sku: 'TEE-M-BLK', quantity: 4 },
    ],
    stockOf(MUG, TEE),
  );
  assert.deepEqual(decision, {
    outcome: 'FAILED',
    failures: [{ sku: 'TEE-M-BLK', reason: 'INSUFFICIENT_STOCK', requested: 4, available: 3 }],
  });
});

test('decideReservation should list every failing line in order line order, unknown and short alike', () => {
  const decision = decideReservation(
    [
      { sku: 'MUG-GOLD', quantity: 1 },
      { sku: 'MUG-RED', quantity: 11 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    stockOf(MUG, TEE),
  );
  assert.deepEqual(decision, {
    outcome: 'FAILED',
    failures: [
      { sku: 'MUG-GOLD', reason: 'UNKNOWN_SKU', requested: 1 },
      { sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 11, available: 10 },
    ],
  });
});

test('decideReservation should report a product with no units left as insufficient, with 0 available', () => {
  const decision = decideReservation([{ sku: 'MUG-RED', quantity: 1 }], stockOf({ ...MUG, available: 0 }));
  assert.deepEqual(decision, {
    outcome: 'FAILED',
    failures: [{ sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 1, available: 0 }],
  });
});

test('decideReservation should reject an order whose products are priced in several currencies', () => {
  const decision = decideReservation(
    [
      { sku: 'MUG-RED', quantity: 1 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    stockOf(MUG, { ...TEE, unitPrice: { amountMinor: 1999, currency: 'USD' } }),
  );
  assert.equal(decision.outcome, 'REJECTED');
  assert.equal(decision.outcome === 'REJECTED' && decision.problem, 'MIXED_CURRENCIES');
});

test('decideReservation should report a failing line before complaining about currencies', () => {
  const decision = decideReservation(
    [
      { sku: 'MUG-RED', quantity: 1 },
      { sku: 'TEE-M-BLK', quantity: 9 },
    ],
    stockOf(MUG, { ...TEE, unitPrice: { amountMinor: 1999, currency: 'USD' } }),
  );
  assert.equal(decision.outcome, 'FAILED', 'nothing would be reserved anyway, so the customer learns what is missing');
});

test('decideReservation should reject malformed orders that the contract should have refused', () => {
  const problem = (lines: { sku: string; quantity: number }[]) => {
    const decision = decideReservation(lines, stockOf(MUG));
    return decision.outcome === 'REJECTED' ? decision.problem : decision.outcome;
  };
  assert.equal(problem([]), 'NO_LINES');
  assert.equal(
    problem([
      { sku: 'MUG-RED', quantity: 1 },
      { sku: 'MUG-RED', quantity: 2 },
    ]),
    'DUPLICATE_SKU',
  );
  assert.equal(problem([{ sku: 'MUG-RED', quantity: 0 }]), 'INVALID_QUANTITY');
  assert.equal(problem([{ sku: 'MUG-RED', quantity: 1.5 }]), 'INVALID_QUANTITY');
});
