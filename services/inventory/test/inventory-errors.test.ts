import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { InventoryErrors } from '../src/inventory-errors.ts';

const README = new URL('../README.md', import.meta.url);

test('every Inventory error code should be documented in the README, and the README should name no other', async () => {
  const readme = await readFile(README, 'utf8');
  const documented = new Set(readme.match(/\bINV_[A-Z_]+\b/g) ?? []);
  const defined = new Set(Object.keys(InventoryErrors));
  assert.deepEqual(
    [...defined].filter((code) => !documented.has(code)),
    [],
    'codes missing from the README',
  );
  assert.deepEqual(
    [...documented].filter((code) => !defined.has(code)),
    [],
    'README codes that do not exist',
  );
});

test('every Inventory error code should carry the service prefix and a 4xx or 5xx status', () => {
  for (const [code, behaviour] of Object.entries(InventoryErrors)) {
    assert.match(code, /^INV_[A-Z_]+$/);
    assert.ok(behaviour.httpStatus >= 400 && behaviour.httpStatus < 600, code);
  }
});
