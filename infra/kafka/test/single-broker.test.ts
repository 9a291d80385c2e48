import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findFreePortBlock, startSingleBroker, stderrReporter, waitForMetadata } from '../src/index.ts';

/** Covers a first-run Maven download (~20 s) plus a cold broker start on a busy 2-core box. */
const TEST_TIMEOUT_MS = 180_000;
const METADATA_TIMEOUT_MS = 10_000;

test('a single broker starts on non-default ports in a temp dir, answers Metadata and stops', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-single-test-'));
  const basePort = await findFreePortBlock(2);
  let stop: () => Promise<void> = async () => {};
  t.after(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const broker = await startSingleBroker({
    clientPort: basePort,
    controllerPort: basePort + 1,
    dataDir,
    report: stderrReporter,
  });
  stop = () => broker.stop();

  assert.equal(broker.alreadyRunning, false);
  assert.deepEqual(broker.bootstrapServers, [`localhost:${basePort}`]);
  const metadata = await waitForMetadata(broker.bootstrapServers, METADATA_TIMEOUT_MS, {
    security: { sasl: broker.security.admin },
  });
  assert.deepEqual(
    metadata.brokers.map(({ nodeId, port }) => ({ nodeId, port })),
    [{ nodeId: 1, port: basePort }],
  );
  assert.ok(existsSync(join(dataDir, 'data', 'meta.properties')), 'storage was formatted');
  // Secured: a client without credentials is refused, and every password file is its owner's alone.
  await assert.rejects(waitForMetadata(broker.bootstrapServers, 2_000), /did not answer Metadata/);
  const credentials = broker.security.credentialsDir;
  for (const name of readdirSync(credentials)) {
    assert.equal(statSync(join(credentials, name)).mode & 0o077, 0, `${name} is readable by its owner only`);
  }

  const pid = broker.node.pid;
  assert.ok(pid !== undefined, 'the broker has a pid while running');
  assert.ok(existsSync(broker.node.layout.pidFile), 'a pid file is written');

  await broker.stop();

  assert.equal(broker.node.isRunning(), false);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `broker process ${pid} is gone`);
  assert.equal(existsSync(broker.node.layout.pidFile), false, 'the pid file is removed');
});

// Regression: `npm test` on a machine with no broker starts a detached one and stops it at the end; the
// stop awaited the JVM's exit on an unreferenced child handle, so Node ended with an unsettled top-level
// await (exit code 13) after every test had passed.
test('a process that starts a detached broker and stops it should exit 0 once the broker is gone', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-detached-test-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const basePort = await findFreePortBlock(2);
  const script = `
    import { startSingleBroker, stderrReporter } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
    const broker = await startSingleBroker({
      clientPort: ${basePort}, controllerPort: ${basePort + 1}, dataDir: ${JSON.stringify(dataDir)},
      report: stderrReporter, detached: true, env: process.env,
    });
    await broker.stop();
    console.log('stopped');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, output.join('').slice(-2_000));
  assert.match(output.join(''), /stopped/);
});
