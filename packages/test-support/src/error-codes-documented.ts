import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { ErrorTable } from '@shop/platform';

/**
 * The check each service runs on its closed set of error codes: every code is documented in its README, the
 * README names no code that does not exist, and every code has the service prefix and a 4xx/5xx status.
 */
export async function assertErrorCodesDocumented(options: {
  readme: URL;
  prefix: string;
  errors: ErrorTable;
}): Promise<void> {
  const readme = await readFile(options.readme, 'utf8');
  const documented = new Set(readme.match(new RegExp(`\\b${options.prefix}_[A-Z_]+\\b`, 'g')) ?? []);
  const defined = new Set(Object.keys(options.errors));
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
  for (const [code, behaviour] of Object.entries(options.errors)) {
    assert.match(code, new RegExp(`^${options.prefix}_[A-Z_]+$`));
    assert.ok(behaviour.httpStatus >= 400 && behaviour.httpStatus < 600, code);
  }
}
