/**
 * `npm run scenario -- <name>`: reproduces one cause of the runbook docs/runbooks/notification-lag.md on a
 * throw-away local stack (fresh KAFKA_NAMESPACE and databases; the broker on KAFKA_BOOTSTRAP_SERVERS and
 * PostgreSQL on DATABASE_URL must be up: it stops within seconds, saying how to start them, when they are
 * not), prints progress and the signal that tells the cause apart, cleans up, and exits 1 when the expected
 * signal did not show or the infrastructure is missing (2 on a usage error).
 */
import { CommonEnvSchema, loadEnv, parseBootstrapServers } from '@shop/platform';
import { hotPartition } from './hot-partition.ts';
import { kafkaProblem, postgresProblem } from './require-infrastructure.ts';
import { retryStorm } from './retry-storm.ts';
import { Cleanup, log, type Scenario } from './scenario-support.ts';
import { slowProvider } from './slow-provider.ts';

const SCENARIOS: readonly Scenario[] = [slowProvider, hotPartition, retryStorm];

const name = process.argv[2];
const scenario = SCENARIOS.find((candidate) => candidate.name === name);
if (scenario === undefined) {
  process.stderr.write(
    `usage: npm run scenario -- <name>\n${SCENARIOS.map((s) => `  ${s.name.padEnd(14)} ${s.summary}`).join('\n')}\n`,
  );
  process.exit(2);
}

const env = loadEnv(CommonEnvSchema);
const problems = (
  await Promise.all([
    kafkaProblem(parseBootstrapServers(env.KAFKA_BOOTSTRAP_SERVERS)),
    postgresProblem(env.DATABASE_URL),
  ])
).filter((problem) => problem !== undefined);
if (problems.length > 0) {
  process.stderr.write(`scenario ${scenario.name} cannot start:\n${problems.map((p) => `  ${p}\n`).join('')}`);
  process.exit(1);
}

const cleanup = new Cleanup();
let ok = false;
try {
  log(`scenario ${scenario.name}: ${scenario.summary}`);
  const result = await scenario.run(cleanup);
  log(`signal (${result.ok ? 'as expected' : 'NOT as expected'}):`);
  for (const line of result.signal) process.stdout.write(`  ${line}\n`);
  ok = result.ok;
} catch (error) {
  process.stderr.write(`scenario ${scenario.name} failed: ${(error as Error).stack ?? error}\n`);
} finally {
  log('cleaning up (services, topics, databases)');
  await cleanup.run();
}
log(ok ? 'done' : 'the expected signal did not show');
// Clients that linger (sockets in keep-alive) must not keep a finished scenario alive.
process.exit(ok ? 0 : 1);
