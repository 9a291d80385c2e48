/**
 * The chaos suite in CI form (the full run is `npm run chaos`): a private PostgreSQL server and three-node
 * cluster, two instances of each service, a minute of open-model load, and one fault of each layer — the
 * broker leading order-placed/0 killed, the Order Service instance whose relay leads killed, PostgreSQL
 * restarted. The same independent checker as the full run must find nothing lost and nothing done twice.
 * Recovery bounds here are generous (this runs on a busy shared machine); the full run reports the strict ones.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runChaos } from '../../tools/src/chaos/chaos-run.ts';
import { formatChaosTable } from '../../tools/src/chaos/chaos-table.ts';
import { resolveSchedule } from '../../tools/src/chaos/fault-schedule.ts';
import { measureRecovery } from '../../tools/src/chaos/recovery.ts';

const RATE = 20;
const DURATION_SECONDS = 60;
/** Settling must resume within this after each fault in the short form (the full run: 15 s / 10 s). */
const GENEROUS_RECOVERY_SECONDS = 120;
/** Cluster and eight service processes start, a minute of load, the drain and the check, with headroom. */
const TEST_TIMEOUT_MS = 12 * 60_000;

test('a short chaos run should lose nothing and do nothing twice through a broker kill, an instance kill and a PostgreSQL restart', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  // Under the repository's .run/, not the system temp directory: the private PostgreSQL server runs as the
  // postgres account when the tests run as root, and must be able to reach its data directory.
  const dir = join(new URL('../../.run/', import.meta.url).pathname, `chaos-short-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const log: string[] = [];
  const { report } = await runChaos({
    rate: RATE,
    durationSeconds: DURATION_SECONDS,
    drainSeconds: 120,
    instances: 2,
    schedule: resolveSchedule('short', DURATION_SECONDS),
    runDir: join(dir, 'run'),
    reportDir: join(dir, 'report'),
    report: (line) => {
      log.push(line);
      if (process.env.TEST_LOG_LEVEL !== undefined) process.stderr.write(`[chaos] ${line}\n`);
    },
  });
  const table = formatChaosTable(report);
  process.stdout.write(`${table.replaceAll(/^/gm, '# ')}\n`);
  // A process that exited on its own says why in its log, which goes with the run directory: its last lines
  // join the failure message. An Order Service instance exited (code 1) during the PostgreSQL restart in a
  // CI run, and its log was removed with the directory.
  const exitLogs = await Promise.all(
    log
      .flatMap((line) => /^UNEXPECTED: .*; see (\S+\.log)$/.exec(line)?.[1] ?? [])
      .map(async (path) => {
        const lines = (await readFile(path, 'utf8').catch((error: Error) => error.message)).split('\n');
        return `--- ${path} (last 60 lines) ---\n${lines.slice(-60).join('\n')}`;
      }),
  );
  const context = `\n${table}\n--- log ---\n${log.join('\n')}${exitLogs.map((text) => `\n${text}`).join('')}`;
  await rm(dir, { recursive: true, force: true });
  assert.equal(report.faults.length, 3, context);
  for (const fault of report.faults) assert.equal(fault.error, undefined, `${fault.name}: ${fault.error}${context}`);
  assert.deepEqual(report.unexpectedExits, [], context);
  assert.ok(report.check.orders.accepted > 0.95 * RATE * DURATION_SECONDS, `most orders accepted${context}`);
  for (const invariant of report.check.invariants) {
    assert.ok(invariant.ok, `${invariant.name}: ${invariant.examples.join('; ')}${context}`);
  }
  // Generous, and watched until the end of the run rather than until the next fault: on a busy shared
  // machine faults can stretch into each other. Settling must come back after each one, within the bound.
  const startMs = Date.parse(report.startedAt);
  const endMs = startMs + report.timeline.settled.length * 1_000;
  for (const fault of report.faults) {
    const { settlingResumedSeconds } = measureRecovery(
      report.timeline,
      [],
      startMs,
      { startedAtMs: fault.startedAtMs, windowEndMs: endMs },
      report.baseline,
    );
    assert.ok(
      settlingResumedSeconds !== null && settlingResumedSeconds <= GENEROUS_RECOVERY_SECONDS,
      `${fault.name}: settling resumed after ${settlingResumedSeconds} s${context}`,
    );
  }
});
