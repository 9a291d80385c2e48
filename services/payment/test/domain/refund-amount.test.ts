import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refundableAmount } from '../../src/domain/refund-amount.ts';

test('refundableAmount should refund what is asked when enough of the capture is left', () => {
  assert.equal(refundableAmount(5000, 1000, 3000), 3000);
});

test('refundableAmount should cut a request to what is left of the capture', () => {
  assert.equal(refundableAmount(5000, 4000, 3000), 1000);
});

test('refundableAmount should refund nothing when nothing was captured or everything was refunded', () => {
  assert.equal(refundableAmount(0, 0, 3000), 0);
  assert.equal(refundableAmount(5000, 5000, 3000), 0);
  assert.equal(refundableAmount(5000, 6000, 3000), 0);
});
