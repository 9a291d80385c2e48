/**
 * `npm run cli -- token`: the printed token is the only line on stdout and is accepted by the platform's
 * verifier with the secret it was signed with, as the role asked for.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { authSettings, createTokenVerifier } from '@shop/platform';
import { tokenClaims } from '../../src/auth/token-command.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const CUSTOMER = '6f1c1f8e-8f7e-4a57-9d3b-2f0a4c8e1d11';

test('token should print a token the services accept, for the customer or the operator asked for', async () => {
  const secret = randomBytes(32).toString('hex');
  const file = join(mkdtempSync(join(tmpdir(), 'token-')), 'secret');
  writeFileSync(file, `${secret}\n`);
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: secret }));

  const customer = await run(process.execPath, [CLI, 'token', '--customer', CUSTOMER, '--secret-file', file]);
  assert.match(customer.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  assert.deepEqual(await verifier.verify(customer.stdout.trim()), { subject: CUSTOMER, roles: ['customer'] });

  // From the environment, as a shell with AUTH_JWT_SECRET set would run it.
  const operator = await run(process.execPath, [CLI, 'token', '--operator'], {
    env: { ...process.env, AUTH_JWT_SECRET: secret, AUTH_JWT_SECRET_FILE: '' },
  });
  assert.deepEqual(await verifier.verify(operator.stdout.trim()), { subject: 'operator', roles: ['operator'] });
});

test('token should refuse a customer id that is not a UUID and a request for two roles', () => {
  assert.throws(() => tokenClaims({ customer: 'c-1' }), /not a UUID/);
  assert.throws(() => tokenClaims({ customer: CUSTOMER, operator: true }), /exactly one/);
  assert.throws(() => tokenClaims({}), /exactly one/);
});
