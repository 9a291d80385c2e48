/**
 * `npm test`: the whole gate a change must pass, in the order that fails fastest — a preflight of
 * everything outside npm the suite needs (Java, Maven, promtool, Chromium, PostgreSQL; scripts/test-prerequisites.ts),
 * type check, lint, dependency boundaries, then every test file on the real Kafka and PostgreSQL.
 * Uses KAFKA_BOOTSTRAP_SERVERS when set; otherwise reuses the local broker, or starts one for the run and
 * stops it afterwards. A missing broker or database fails the run; no test is skipped for lack of one.
 *
 *   npm test                      everything
 *   npm test -- --only <glob>     just the matching test files (after the static checks)
 *   npm test -- --no-static       skip type check, lint and boundaries
 *   npm run test:unit             (--unit) only the tests that need neither Kafka nor PostgreSQL (UNIT_TEST_GLOBS):
 *                                 no preflight, no broker, after the static checks
 */
import { spawn } from 'node:child_process';
import { glob } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { externalBootstrapServers, type KafkaHandle, startKafka } from '../infra/kafka/src/index.ts';
import { TOOL_PRINCIPALS } from '../packages/contracts/src/principals.ts';
import { CommonEnvSchema, loadEnv } from '../packages/platform/src/config.ts';
import { kafkaSecurityFromEnv } from '../packages/platform/src/kafka/security.ts';
import { checkPrerequisites, formatMissing, systemProbe } from './test-prerequisites.ts';

const REPO_ROOT = new URL('..', import.meta.url).pathname;
const TEST_GLOBS = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'tools/test/**/*.test.ts',
  'infra/kafka/test/**/*.test.ts',
  'tests/**/*.test.ts',
];
/**
 * The tests that need neither Kafka nor PostgreSQL, told apart by folder because the folder is what the
 * dependency check enforces: a service's test/domain/ may import only domain code (no Kafka, HTTP, SQL or
 * platform; tools/src/check-boundaries.ts scans services/ tests included), and @shop/contracts depends on
 * TypeBox and Node built-ins alone. Other folders mix pure tests with ones on the real broker and database,
 * so they are not guessed at: they run with `npm test`.
 */
const UNIT_TEST_GLOBS = ['services/*/test/domain/**/*.test.ts', 'packages/contracts/test/**/*.test.ts'];
/**
 * Test files run in parallel processes. They mostly wait on Kafka and PostgreSQL, so more files than the
 * machine's 2 cores keeps it busy without starving the broker. Three, not four: with the secured broker every
 * test namespace also provisions and checks its ACLs, and at four files the timing-bound end-to-end tests
 * (a retry tier's group joining, a lag that must keep growing) missed their windows in full runs.
 */
const TEST_CONCURRENCY = 3;
/**
 * Test files that start brokers or whole stacks of their own (a broker on other ports, the three-node
 * cluster, the chaos stack, the benchmark's private stacks), and the console's browser tests (a stack and
 * Chromium): run one at a time after the others. Beside three other files they starved
 * each other on 2 cores (a broker taking over 60 s to answer Metadata), and alone they are quick.
 */
const SOLO_TEST_GLOBS = [
  'infra/kafka/test/**/*.test.ts',
  'tests/e2e/chaos-*.test.ts',
  'tests/e2e/bench-*.test.ts',
  'tests/e2e/console-*.test.ts',
];
/** Per test; a hung test fails instead of eating CI's budget. */
const TEST_TIMEOUT_MS = 180_000;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    unit: { type: 'boolean', default: false },
    'no-static': { type: 'boolean', default: false },
  },
});
const unitOnly = values.unit;
const selectedGlobs = values.only ? [values.only] : unitOnly ? UNIT_TEST_GLOBS : TEST_GLOBS;

/**
 * Longest one phase of test files may run (the parallel files, then the solo ones; each takes under 15
 * minutes here). `--test-timeout` bounds each test, not a file's process: a file whose cleanup left a
 * broker running never exited, and CI's whole budget ran out on it. Past this the phase's process group
 * (node --test, its test files and whatever they started in it) is killed and the run fails, saying so.
 * TEST_PHASE_BUDGET_SECONDS overrides it (the watchdog's own test).
 */
const TEST_PHASE_BUDGET_MS = Number(process.env.TEST_PHASE_BUDGET_SECONDS ?? 35 * 60) * 1_000;

/**
 * Runs one step in a process group of its own, so that Ctrl-C and, past `budgetMs` (when given), a kill
 * reach everything it started; throws, having said why, unless it exits 0.
 */
async function step(name: string, command: string, args: string[], env = process.env, budgetMs?: number) {
  process.stdout.write(`\n== ${name}\n`);
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env, detached: true });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // Already gone.
    }
  };
  let overran = false;
  const watchdog =
    budgetMs === undefined
      ? undefined
      : setTimeout(() => {
          overran = true;
          process.stderr.write(`\n== ${name} still running after ${budgetMs / 1_000} s: killing its process group\n`);
          killGroup('SIGKILL');
        }, budgetMs);
  const onInt = () => killGroup('SIGINT');
  const onTerm = () => killGroup('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('exit', (...exit) => resolve(exit));
    // A command that cannot be started (not found) has no exit: fail the step rather than wait for one.
    child.on('error', (error) => {
      process.stderr.write(`\n== ${name}: ${error.message}\n`);
      resolve([1, null]);
    });
  });
  clearTimeout(watchdog);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  if (code !== 0 || overran) {
    const why = overran ? `over its ${(budgetMs ?? 0) / 1_000} s budget` : `exit ${code ?? signal}`;
    process.stderr.write(`\n== ${name} failed (${why})\n`);
    process.exitCode = code || 1;
    throw new Error(`${name} failed`);
  }
}

async function testFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of selectedGlobs) {
    for await (const file of glob(pattern, { cwd: REPO_ROOT, exclude: (name) => name.includes('node_modules') })) {
      files.push(file);
    }
  }
  return files.sort();
}

let kafka: KafkaHandle | undefined;
try {
  if (values.only && unitOnly) throw new Error('--only and --unit select the test files two ways: give one');
  const env = loadEnv(CommonEnvSchema);
  if (!unitOnly) {
    // First, before minutes of static checks: a machine that lacks something fails in seconds, told all of it.
    process.stdout.write('== prerequisites\n');
    const externalKafka = externalBootstrapServers();
    const missing = await checkPrerequisites(systemProbe(), {
      databaseUrl: env.DATABASE_URL,
      ...(externalKafka === undefined ? {} : { externalKafka }),
    });
    if (missing.length > 0) {
      process.stderr.write(`\n${formatMissing(missing)}`);
      process.exitCode = 1;
      throw new Error('prerequisites failed');
    }
    process.stdout.write(`all present (PostgreSQL at ${new URL(env.DATABASE_URL).host})\n`);
  }

  const npx = 'npx';
  if (!values['no-static']) {
    await step('type check (tsc --noEmit)', npx, ['tsc', '--noEmit', '-p', '.']);
    // The console's front end has the browser's types (DOM, JSX), kept out of the Node code's configuration.
    await step('type check of the console front end', npx, ['tsc', '--noEmit', '-p', 'tools/src/console/web']);
    await step('lint and format (biome check)', npx, ['biome', 'check', '.']);
    await step('dependency boundaries', process.execPath, ['tools/src/check-boundaries.ts']);
  }

  if (!unitOnly) {
    process.stdout.write('\n== Kafka\n');
    kafka = await startKafka({ externalSecurity: kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner) });
  }

  const files = await testFiles();
  if (files.length === 0) throw new Error(`No test files match ${selectedGlobs.join(', ')}`);
  const solo = new Set<string>();
  for (const pattern of SOLO_TEST_GLOBS) {
    for await (const file of glob(pattern, { cwd: REPO_ROOT })) if (files.includes(file)) solo.add(file);
  }
  const parallel = files.filter((file) => !solo.has(file));
  // The local broker is secured: test helpers log in as the provisioner and every service as itself, from the
  // broker's directory of password files. An external cluster's credentials are the user's own variables.
  const testEnv =
    kafka === undefined
      ? process.env
      : {
          ...process.env,
          KAFKA_BOOTSTRAP_SERVERS: kafka.bootstrapServers.join(','),
          DATABASE_URL: env.DATABASE_URL,
          ...(kafka.credentials === undefined ? {} : { KAFKA_CREDENTIALS_DIR: kafka.credentials.dir }),
        };
  const label = unitOnly ? 'unit tests' : 'tests';
  if (parallel.length > 0) {
    await step(
      `${label} (${parallel.length} files, node --test, ${TEST_CONCURRENCY} at a time)`,
      process.execPath,
      ['--test', `--test-concurrency=${TEST_CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`, ...parallel],
      testEnv,
      TEST_PHASE_BUDGET_MS,
    );
  }
  if (solo.size > 0) {
    await step(
      `${label} with brokers or stacks of their own (${solo.size} files, one at a time)`,
      process.execPath,
      ['--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...solo],
      testEnv,
      TEST_PHASE_BUDGET_MS,
    );
  }
} catch (error) {
  const hint = (error as { hint?: string }).hint;
  if (!/failed$/.test((error as Error).message)) {
    process.stderr.write(`\n[test] ${(error as Error).message}\n${hint ? `[test] fix: ${hint}\n` : ''}`);
  }
  process.exitCode ||= 1;
} finally {
  if (kafka?.source === 'started') {
    process.stdout.write('\n== stopping the Kafka broker started for this run\n');
    await kafka.stop();
  }
}
