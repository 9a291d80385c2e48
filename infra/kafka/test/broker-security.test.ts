/**
 * Regression: the passwords' directory was created with a recursive mkdir of mode 0o700, which gave that mode
 * to every directory it created (.run/ included): the bench's and the chaos suite's private PostgreSQL
 * servers, run as the postgres account, could no longer reach their data directories under .run/.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialsDirOf, ensureBrokerSecurity } from '../src/broker-security.ts';

test('the credentials directory should be owner-only and the directories above it should keep their default mode', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'broker-security-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const run = join(root, '.run');
  const instance = join(run, 'kafka', 'single');
  ensureBrokerSecurity(instance);
  const mode = async (path: string) => (await stat(path)).mode & 0o777;
  assert.equal(await mode(credentialsDirOf(instance)), 0o700);
  for (const directory of [run, join(run, 'kafka'), instance]) {
    assert.ok(
      ((await mode(directory)) & 0o055) !== 0,
      `${directory} is traversable by others (${(await mode(directory)).toString(8)})`,
    );
  }
});
