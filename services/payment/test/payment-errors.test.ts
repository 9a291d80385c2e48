import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { PaymentErrors } from '../src/payment-errors.ts';

const README = new URL('../README.md', import.meta.url);

test('every Payment error code should be documented in the README, and the README should name no other', async () => {
  const readme = await readFile(README, 'utf8');
  const documented = new Set(readme.match(/\bPAY_[A-Z_]+\b/g) ?? []);
  const defined = new Set(Object.keys(PaymentErrors));
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

test('every Payment error code should carry the service prefix and a 4xx or 5xx status', () => {
  for (const [code, behaviour] of Object.entries(PaymentErrors)) {
    assert.match(code, /^PAY_[A-Z_]+$/);
    assert.ok(behaviour.httpStatus >= 400 && behaviour.httpStatus < 600, code);
  }
});
