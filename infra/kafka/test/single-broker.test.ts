import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
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
  const metadata = await waitForMetadata(broker.bootstrapServers, METADATA_TIMEOUT_MS);
  assert.deepEqual(
    metadata.brokers.map(({ nodeId, port }) => ({ nodeId, port })),
    [{ nodeId: 1, port: basePort }],
  );
  assert.ok(existsSync(join(dataDir, 'data', 'meta.properties')), 'storage was formatted');

  const pid = broker.node.pid;
  assert.ok(pid !== undefined, 'the broker has a pid while running');
  assert.ok(existsSync(broker.node.layout.pidFile), 'a pid file is written');

  await broker.stop();

  assert.equal(broker.node.isRunning(), false);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `broker process ${pid} is gone`);
  assert.equal(existsSync(broker.node.layout.pidFile), false, 'the pid file is removed');
});
