import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedOutcomes } from '../../src/chaos/invariant-checker.ts';

test('a confirmed order should expect its confirmation only, whether or not a cancel was asked', () => {
  assert.deepEqual(expectedOutcomes('CONFIRMED', false), ['OrderConfirmed']);
  // The cancel never arrived (or arrived too late to apply): the order stays confirmed.
  assert.deepEqual(expectedOutcomes('CONFIRMED', true), ['OrderConfirmed']);
});

test('a cancelled order should expect the confirmation too when its customer asked to cancel it after confirmation', () => {
  assert.deepEqual(expectedOutcomes('CANCELLED', false), ['OrderCancelled']);
  // A full chaos run had an order whose cancel answer was lost at the end of the drain: the cancel was
  // applied, the load had not counted it, and the checker reported its two notifications as a violation.
  assert.deepEqual(expectedOutcomes('CANCELLED', true), ['OrderConfirmed', 'OrderCancelled']);
});
