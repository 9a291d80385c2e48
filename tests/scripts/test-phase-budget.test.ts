/**
 * Regression: a test file whose tests all passed but whose process never exited (its cleanup had left a
 * broker running) kept `npm test` waiting until CI's 90 minutes ran out. A phase over its budget is now
 * killed with its process group, and the run fails saying why.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deferCleanups } from '@shop/test-support';

const BUDGET_SECONDS = 8;

test('npm test should kill a phase whose files outlive its budget, their children too, and fail', {
  timeout: 120_000,
}, async (t) => {
  const defer = deferCleanups(t);
  const dir = await mkdtemp(join(tmpdir(), 'phase-budget-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'outlives.test.ts'),
    `import { spawn } from 'node:child_process';
import { test } from 'node:test';
test('passes, then leaves a child and a timer running', () => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  console.log('sleeper pid ' + child.pid);
  setInterval(() => {}, 1_000);
});
`,
  );
  const run = spawn(process.execPath, ['scripts/test.ts', '--no-static', '--only', join(dir, '*.test.ts')], {
    cwd: new URL('../..', import.meta.url).pathname,
    // Without NODE_TEST_CONTEXT: node --test would take the nested run for a recursive one and run nothing.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, TEST_PHASE_BUDGET_SECONDS: String(BUDGET_SECONDS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  run.stdout.on('data', (chunk) => {
    output += chunk;
  });
  run.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => run.on('exit', resolve));
  assert.equal(code, 1, output);
  assert.match(output, /✔ passes, then leaves a child and a timer running/, output);
  assert.match(output, new RegExp(`failed \\(over its ${BUDGET_SECONDS} s budget\\)`), output);
  const pid = Number(/sleeper pid (\d+)/.exec(output)?.[1]);
  assert.ok(pid > 0, output);
  // Gone, or a zombie nobody reaps yet (its parent was killed with it): either way no longer running.
  const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
    (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0],
    () => 'gone',
  );
  assert.ok(state === 'gone' || state === 'Z', `the file's child ${pid} outlived the kill (state ${state})`);
});
