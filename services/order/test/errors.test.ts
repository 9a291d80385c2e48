import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ORDER_ERRORS } from '../src/errors.ts';

const README = new URL('../README.md', import.meta.url);

/** Rows of the README's error table: `| \`CODE\` | status | retryable | when |`. */
async function documentedCodes(): Promise<Map<string, { status: number; retryable: boolean }>> {
  const text = await readFile(README, 'utf8');
  const rows = new Map<string, { status: number; retryable: boolean }>();
  for (const match of text.matchAll(/^\| `(ORD_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)) {
    rows.set(match[1] as string, { status: Number(match[2]), retryable: match[3] === 'yes' });
  }
  return rows;
}

test('every Order Service error code should be documented in the README with its status and retry flag', async () => {
  const documented = await documentedCodes();
  for (const [code, behaviour] of Object.entries(ORDER_ERRORS)) {
    assert.deepEqual(documented.get(code), { status: behaviour.httpStatus, retryable: behaviour.retryable }, code);
  }
  assert.deepEqual(
    [...documented.keys()].sort(),
    Object.keys(ORDER_ERRORS).sort(),
    'no documented code that does not exist',
  );
});
