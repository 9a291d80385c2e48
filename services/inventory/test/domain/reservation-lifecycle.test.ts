import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCommit, planRelease } from '../../src/domain/reservation-lifecycle.ts';

test('planCommit should move reserved units to sold for a reserved order', () => {
  assert.deepEqual(planCommit('RESERVED'), {
    kind: 'commit',
    move: { from: 'reserved', to: 'sold' },
    next: 'COMMITTED',
  });
});

test('planCommit should answer a repeated commit again without moving stock', () => {
  assert.deepEqual(planCommit('COMMITTED'), { kind: 'repeat' });
});

test('planCommit should ignore a commit overtaken by a release', () => {
  assert.deepEqual(planCommit('RELEASED'), { kind: 'superseded' });
});

test('planCommit should call a commit impossible when nothing was reserved', () => {
  assert.equal(planCommit(undefined).kind, 'impossible');
  const failed = planCommit('FAILED');
  assert.equal(failed.kind === 'impossible' && failed.problem, 'NOT_RESERVED');
});

test('planRelease should return reserved units, and sold units of a committed order, to available', () => {
  assert.deepEqual(planRelease('RESERVED'), {
    kind: 'release',
    move: { from: 'reserved', to: 'available' },
    next: 'RELEASED',
  });
  assert.deepEqual(planRelease('COMMITTED'), {
    kind: 'release',
    move: { from: 'sold', to: 'available' },
    next: 'RELEASED',
  });
});

test('planRelease should move nothing when nothing is held, and record an order never reserved as released', () => {
  assert.deepEqual(planRelease('RELEASED'), { kind: 'nothing-held' });
  assert.deepEqual(planRelease('FAILED'), { kind: 'nothing-held' });
  assert.deepEqual(planRelease(undefined), { kind: 'tombstone', next: 'RELEASED' });
});
