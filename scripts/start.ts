/**
 * `npm start`: brings the local stack up — Kafka (unless KAFKA_BOOTSTRAP_SERVERS is set), a PostgreSQL
 * check, then every service (each creates and migrates its own database) with prefixed logs — and prints
 * the URLs. Ctrl-C stops the services and the Kafka this command started; nothing is left behind.
 * If any service or the broker dies, everything is stopped and the command exits non-zero.
 *
 * `npm start -- --with-prometheus` also runs a local Prometheus (scripts/prometheus.ts) scraping every
 * service and the lag monitor with ops/prometheus/alerts.yml loaded, its data under .run/prometheus/.
 *
 * `npm start -- --instances N` runs N processes of every service (instance k, from 0, on the service's
 * port + INSTANCE_PORT_STEP × k), sharing its database and consumer groups; `--cluster` uses the local
 * three-node cluster (`npm run kafka:cluster:start`) instead of the single broker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type KafkaHandle, startKafka } from '../infra/kafka/src/index.ts';
import { TOOL_PRINCIPALS } from '../packages/contracts/src/principals.ts';
import { CommonEnvSchema, loadEnv } from '../packages/platform/src/config.ts';
import { provisionTopics } from '../packages/platform/src/kafka/provisioning/provision.ts';
import { describeAction, isApplicable } from '../packages/platform/src/kafka/provisioning/topic-plan.ts';
import { kafkaSecurityFromEnv } from '../packages/platform/src/kafka/security.ts';
import { checkPostgres } from '../packages/platform/src/preflight.ts';
import { ensureLocalAuthSecret } from '../tools/src/auth/local-secret.ts';
import { formatLogLine } from './log-format.ts';
import {
  DEFAULT_PROMETHEUS_PORT,
  freePort,
  type PrometheusHandle,
  PrometheusStartError,
  prometheusConfig,
  startPrometheus,
} from './prometheus.ts';
import { STACK_SERVICES, STACK_TOOLS } from './stack.ts';

/** A service that is not healthy this long after spawning is reported as failed. */
const SERVICE_READY_TIMEOUT_MS = 60_000;
/** Grace period between SIGTERM and SIGKILL when stopping a service. */
const SERVICE_STOP_TIMEOUT_MS = 15_000;
/** Instance k of a service listens on its default port + k × this (8081, 8181, … for the Order Service). */
const INSTANCE_PORT_STEP = 100;
const MAX_INSTANCES = 9;
const REPO_ROOT = new URL('..', import.meta.url);
/** A customer whose card the simulated gateway always declines in the local stack (README, "Try it"). */
const DEMO_DECLINED_CUSTOMER_ID = 'dec11e5d-0000-4000-8000-000000000000';

interface Running {
  label: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * The services are secured by default: unless the shell names an authentication source, they verify tokens
 * with the local secret, generated once into .run/auth-secret (`npm run cli -- token` signs with it).
 */
function authEnv(): Record<string, string> {
  const configured = ['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET_FILE', 'AUTH_JWKS_URL'].some(
    (name) => (process.env[name] ?? '') !== '',
  );
  return configured ? {} : { AUTH_JWT_SECRET_FILE: ensureLocalAuthSecret() };
}

const children: Running[] = [];
let kafka: KafkaHandle | undefined;
let prometheus: PrometheusHandle | undefined;
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

function fail(message: string, hint?: string): never {
  process.stderr.write(`\n[start] FAILED: ${message}\n${hint ? `[start] fix: ${hint}\n` : ''}`);
  throw new StartFailure(message);
}

class StartFailure extends Error {}

function pipeLogs(label: string, child: ChildProcess): void {
  const prefix = `[${label.padEnd(12)}]`;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${formatLogLine(prefix, line)}\n`));
  }
}

async function waitHealthy(running: Running): Promise<void> {
  const deadline = Date.now() + SERVICE_READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void running.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      fail(`${running.label} exited with code ${exitCode} during start-up (see its log above)`);
    try {
      const response = await fetch(`${running.url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`${running.label} did not answer ${running.url}/health within ${SERVICE_READY_TIMEOUT_MS / 1000} s`);
}

function startProcess(
  spec: { label: string; entry: string; port: number; portEnv: string },
  bootstrapServers: string[],
  credentialsDir: string | undefined,
): Running {
  const { port } = spec;
  const child = spawn(process.execPath, [spec.entry], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers.join(','),
      // Each process logs in as its own principal from the local broker's password files (the catalog's ACLs
      // limit it to its own topics and groups); with an external cluster, the user's KAFKA_SASL_* apply.
      ...(credentialsDir === undefined ? {} : { KAFKA_CREDENTIALS_DIR: credentialsDir }),
      [spec.portEnv]: String(port),
      // The Inventory Service inserts its missing demo products (never resets stock); others ignore it.
      SEED_DEMO_CATALOG: process.env.SEED_DEMO_CATALOG ?? 'true',
      // The simulated gateway always declines this demo customer's card (README, "Try it"); others ignore it.
      PAYMENT_DECLINE_CUSTOMER_IDS: process.env.PAYMENT_DECLINE_CUSTOMER_IDS ?? DEMO_DECLINED_CUSTOMER_ID,
      ...authEnv(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLogs(spec.label, child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = { label: spec.label, url: `http://127.0.0.1:${port}`, child, exited };
  children.push(running);
  void exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`[start] ${spec.label} exited unexpectedly (code ${code}); stopping everything\n`);
      void stopAll(1);
    }
  });
  return running;
}

async function stopChild(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), SERVICE_STOP_TIMEOUT_MS);
  await running.exited;
  clearTimeout(timer);
}

async function stopAll(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (prometheus !== undefined) {
      say('stopping Prometheus');
      await prometheus.stop();
    }
    say('stopping services');
    // Reverse start order: the Order Service (which feeds the others) stops last, after its consumers.
    await Promise.all([...children].reverse().map(stopChild));
    if (kafka?.source === 'started') {
      say('stopping the Kafka broker this command started');
      await kafka.stop();
    }
    say('stopped');
  }
  process.exit(exitCode);
}

/** Prometheus's directory (configuration and TSDB), kept across runs like the other local state in .run/. */
const PROMETHEUS_DIR = join(fileURLToPath(REPO_ROOT), '.run', 'prometheus');

async function startLocalPrometheus(running: readonly Running[]): Promise<PrometheusHandle> {
  const port = await freePort(Number(process.env.PROMETHEUS_PORT ?? DEFAULT_PROMETHEUS_PORT));
  try {
    const handle = await startPrometheus({
      config: prometheusConfig({ targets: running.map((r) => ({ job: r.label, url: r.url })) }),
      dir: PROMETHEUS_DIR,
      port,
      onLogLine: (line) => process.stdout.write(`${formatLogLine(`[${'prometheus'.padEnd(12)}]`, line)}\n`),
    });
    void handle.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`[start] Prometheus exited unexpectedly (code ${code}); stopping everything\n`);
        void stopAll(1);
      }
    });
    return handle;
  } catch (error) {
    if (error instanceof PrometheusStartError) fail(error.message, error.hint);
    throw error;
  }
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll(0));
  let flags: { 'with-prometheus': boolean; cluster: boolean; instances: string };
  try {
    flags = parseArgs({
      options: {
        'with-prometheus': { type: 'boolean', default: false },
        cluster: { type: 'boolean', default: false },
        instances: { type: 'string', default: '1' },
      },
    }).values;
  } catch (error) {
    fail(
      (error as Error).message,
      'the options are --with-prometheus, --cluster and --instances N (npm start -- --instances 2 --cluster)',
    );
  }
  const instances = Number(flags.instances);
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES)
    fail(`--instances must be a whole number from 1 to ${MAX_INSTANCES}, not "${flags.instances}"`);
  const env = loadEnv(CommonEnvSchema);

  say('checking PostgreSQL');
  try {
    await checkPostgres(env.DATABASE_URL);
  } catch (error) {
    fail((error as Error).message, (error as { hint?: string }).hint);
  }

  say('starting Kafka');
  try {
    // Detached, so Ctrl-C reaches the services first and the broker is stopped last, after they closed.
    kafka = await startKafka({
      foreground: false,
      cluster: flags.cluster,
      externalSecurity: kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner),
    });
  } catch (error) {
    fail(
      `Kafka did not start: ${(error as Error).message}`,
      'See the broker log with "npm run kafka:logs"; check Java 17+ and Maven are installed.',
    );
  }
  if (kafka.source === 'reused')
    say(`using the Kafka broker that is already running at ${kafka.bootstrapServers.join(',')}`);
  void kafka.exited?.then((how) => {
    if (!stopping) {
      process.stderr.write(`[start] ${how}; stopping everything\n`);
      void stopAll(1);
    }
  });

  say('applying the topic catalog and its ACLs');
  const credentialsDir = kafka.credentials?.dir;
  const topics = await provisionTopics({
    connection: {
      bootstrapServers: kafka.bootstrapServers,
      clientId: 'npm-start',
      security:
        kafka.credentials === undefined
          ? kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner)
          : { sasl: kafka.credentials.admin },
    },
    apply: true,
  });
  if (topics.acls?.enforced)
    say(
      `ACLs: ${topics.acls.created.length} created${topics.acls.extra.length > 0 ? `, ${topics.acls.extra.length} not from the catalog (see "npm run cli -- topics plan")` : ''}`,
    );
  for (const warning of topics.warnings) say(`warning: ${warning}`);
  say(
    `topics: ${topics.applied.length} change(s) applied${topics.applied.length > 0 ? '' : ' (the cluster matched the catalog)'}`,
  );
  const refused = topics.actions.filter((action) => !isApplicable(action));
  if (refused.length > 0)
    fail(`the cluster's topics disagree with the catalog:\n  ${refused.map(describeAction).join('\n  ')}`);

  // Instance 0 of every service first: it creates and migrates the database the later instances share.
  const running: Running[] = [];
  for (let index = 0; index < instances; index++) {
    const started = STACK_SERVICES.map((spec) =>
      startProcess(
        {
          ...spec,
          label: instances === 1 ? spec.label : `${spec.label}-${index + 1}`,
          port: spec.definition.defaultPort + INSTANCE_PORT_STEP * index,
          portEnv: 'PORT',
        },
        kafka?.bootstrapServers ?? [],
        credentialsDir,
      ),
    );
    if (index === 0)
      started.push(...STACK_TOOLS.map((spec) => startProcess(spec, kafka?.bootstrapServers ?? [], credentialsDir)));
    await Promise.all(started.map(waitHealthy));
    running.push(...started);
  }
  if (flags['with-prometheus']) {
    say('starting Prometheus');
    prometheus = await startLocalPrometheus(running);
  }

  say('the stack is up:');
  const secured = topics.acls?.enforced ? ', SASL/SCRAM, ACLs from the catalog' : '';
  say(`  kafka         ${kafka.bootstrapServers.join(',')} (${kafka.source}${secured})`);
  if (credentialsDir !== undefined) say(`  credentials   ${credentialsDir} (one password file per principal)`);
  for (const r of running)
    say(`  ${r.label.padEnd(13)} ${r.url}   (health: ${r.url}/health, metrics: ${r.url}/metrics)`);
  if (prometheus !== undefined)
    say(
      `  ${'prometheus'.padEnd(13)} ${prometheus.url}   (alerts: ${prometheus.url}/alerts, targets: ${prometheus.url}/targets)`,
    );
  say(
    `  auth          bearer tokens${authEnv().AUTH_JWT_SECRET_FILE === undefined ? ' (AUTH_* from the environment)' : ' signed with .run/auth-secret'}: TOKEN=$(npm run -s cli -- token --customer <uuid>) or --operator`,
  );
  say('press Ctrl-C to stop');
}

main().catch(async (error) => {
  if (!(error instanceof StartFailure)) process.stderr.write(`[start] ${(error as Error).stack}\n`);
  await stopAll(1);
});
