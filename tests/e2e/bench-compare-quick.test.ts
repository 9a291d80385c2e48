/**
 * The REST-versus-Kafka comparison's quick form, as CI runs it: `npm run bench -- --compare rest,kafka
 * --quick` must finish, lose no order in either mode, reconcile every run, and show the difference the
 * design document is about: while Inventory is down, REST takes no order and Kafka takes every one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testBootstrapServers } from '@shop/test-support';
import type { CompareReport } from '../../tools/src/bench/compare.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The quick form takes about 3 minutes on the 2-core machine; a busy machine gets room. */
const TIMEOUT_MS = 10 * 60_000;

test('bench --compare rest,kafka --quick should lose nothing in either mode and show REST refusing orders while Inventory is down', {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const bootstrap = (await testBootstrapServers()).join(',');
  const output: string[] = [];
  const child = spawn(process.execPath, ['tools/src/bench/bench.ts', '--compare', 'rest,kafka', '--quick'], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: bootstrap },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGTERM'));
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const printed = output.join('');
  assert.equal(code, 0, printed.slice(-4_000));

  const reportPath = /report (\S+\.json)/.exec(printed)?.[1];
  assert.ok(reportPath !== undefined, `no report path in:\n${printed.slice(-2_000)}`);
  const report = JSON.parse(await readFile(join(REPO_ROOT, reportPath), 'utf8')) as CompareReport;
  const byMode = new Map(report.results.map((result) => [result.mode, result]));
  const rest = byMode.get('rest');
  const kafka = byMode.get('kafka');
  assert.ok(rest !== undefined && kafka !== undefined, 'both modes reported');
  for (const result of [rest, kafka]) {
    assert.equal(result.outage.lost, 0, `${result.mode}: orders lost in the outage`);
    assert.ok(result.outage.reconciliationOk, `${result.mode}: outage run reconciles`);
    for (const run of result.sweep) assert.ok(run.reconciliationOk, `${result.mode} at ${run.rate}/s reconciles`);
    assert.ok(result.slow.run.reconciliationOk, `${result.mode}: slow-Inventory run reconciles`);
  }
  assert.ok(kafka.outage.sentDuringOutage > 0);
  // Margins for the seconds at the edges of the outage (a request in flight when it starts or ends).
  assert.ok(
    kafka.outage.acceptedShare >= 0.95,
    `Kafka mode accepts while Inventory is down: ${kafka.outage.acceptedShare}`,
  );
  assert.ok(
    rest.outage.acceptedShare <= 0.05,
    `REST mode refuses while Inventory is down: ${rest.outage.acceptedShare}`,
  );
});
