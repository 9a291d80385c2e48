import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCanonicalUuid, newId } from '../src/index.ts';

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('newId should make canonical version-7 UUIDs whose first 48 bits are the Unix milliseconds', () => {
  const at = Date.UTC(2026, 11, 3, 19, 30);
  const id = newId(at);
  assert.match(id, VERSION_7);
  assert.ok(isCanonicalUuid(id));
  assert.equal(Number.parseInt(id.replace('-', '').slice(0, 12), 16), at);
});

test('ids made one after the other should sort in the order they were made, within a millisecond too', () => {
  const at = Date.now() + 60_000;
  // More than the 12-bit sequence holds in one millisecond: the overflow borrows the next one.
  const ids = Array.from({ length: 10_000 }, () => newId(at));
  ids.push(newId(at - 5_000), newId(at + 1));
  for (let i = 1; i < ids.length; i++) {
    assert.ok((ids[i - 1] as string) < (ids[i] as string), `${ids[i - 1]} before ${ids[i]}`);
    assert.match(ids[i] as string, VERSION_7);
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('the bits after the time and sequence should be random: no two of many ids share them', () => {
  const tails = new Set(Array.from({ length: 5_000 }, () => newId().slice(19)));
  assert.equal(tails.size, 5_000);
});
