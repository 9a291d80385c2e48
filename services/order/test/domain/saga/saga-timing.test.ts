/** Deadlines of step attempts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settlementDeadline } from '../../../src/domain/saga/saga-timing.ts';
import { settings, T0 } from './saga-snapshots.ts';

test('backoff of re-sent settlement steps should double up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((attempt) => settlementDeadline(T0, settings, attempt).getTime() - T0.getTime()),
    [1_000, 2_000, 4_000, 8_000, 8_000, 8_000],
  );
});
