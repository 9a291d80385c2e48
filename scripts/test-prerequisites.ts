/**
 * The preflight of `npm test`: everything outside npm that the suite needs, checked at once and within
 * seconds, before any test runs. Every missing piece is named together with the command that provides it,
 * so a fresh machine needs one round of fixes, not one per failing test file minutes apart.
 *
 * The checks are pure over a `Probe` (command lookup, running a command, asking PostgreSQL and Kafka), so
 * their logic is unit-tested with a fake one; `systemProbe` is the real machine.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { kafkaVersion } from '../infra/kafka/src/kafka-version.ts';
import { cacheRoot } from '../infra/kafka/src/repo-paths.ts';
import { TOOL_PRINCIPALS } from '../packages/contracts/src/principals.ts';
import { databaseUrl } from '../packages/platform/src/config.ts';
import { kafkaSecurityFromEnv } from '../packages/platform/src/kafka/security.ts';
import { checkKafka } from '../packages/platform/src/preflight.ts';

/** Kafka 4 brokers and tools need Java 17 (KIP-750 / KIP-1013). */
export const MIN_JAVA_MAJOR = 17;
/**
 * Fewest PostgreSQL connections the suite needs: it runs four test files at once, each with its own
 * services and pools, and peaks at about 80 connections (measured). PostgreSQL's default is 100.
 */
export const MIN_POSTGRES_CONNECTIONS = 100;
/** Each network check answers within this; the whole preflight stays within seconds. */
export const PREFLIGHT_CHECK_TIMEOUT_MS = 3_000;
/** Written by resolveKafka once every jar is in the cache (infra/kafka/src/resolve-kafka.ts). */
const KAFKA_CACHE_MARKER = '.resolved.json';

export interface CommandResult {
  status: number | null;
  /** stdout and stderr together (`java -version` writes to stderr). */
  output: string;
}

/** What the machine answers; the real one is `systemProbe`, tests pass a fake. */
export interface Probe {
  env: NodeJS.ProcessEnv;
  /** Absolute path of `command` when an executable of that name is on PATH, else undefined. */
  which(command: string): string | undefined;
  /** Whether `path` is an executable file (JAVA_HOME/bin/java). */
  isExecutable(path: string): boolean;
  /** Runs a command to ask its version; undefined when it cannot be started. */
  run(path: string, args: readonly string[]): CommandResult | undefined;
  /** `max_connections` of the server, or the error that kept it from answering. */
  postgres(serverUrl: string): Promise<{ maxConnections: number } | { error: string }>;
  /** undefined when a broker answers a metadata request, else why not. */
  kafka(bootstrapServers: readonly string[]): Promise<string | undefined>;
  /** Whether the Kafka jars are already resolved (then Maven is not needed). */
  kafkaJarsCached(): boolean;
}

export interface Missing {
  /** What is missing, e.g. "promtool (alert rule tests)". */
  what: string;
  /** What was found instead, if anything. */
  found?: string;
  /** The command (or step) that provides it. */
  fix: string;
}

/** The part of the test configuration the preflight needs. */
export interface PreflightConfig {
  databaseUrl: string;
  /** Set when KAFKA_BOOTSTRAP_SERVERS names an external cluster; undefined: the run uses a local broker. */
  externalKafka?: readonly string[];
}

/** "openjdk version "17.0.15"", "java version "1.8.0_392"", "openjdk version "21" 2023-09-19". */
export function javaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const major = Number(match[1] === '1' ? match[2] : match[1]);
  return Number.isInteger(major) ? major : undefined;
}

function checkJava(probe: Probe): Missing | undefined {
  const what = `Java ${MIN_JAVA_MAJOR}+ (runs the Kafka brokers the tests start)`;
  const fix = 'apt-get install -y openjdk-17-jre-headless (or set JAVA_HOME to a JDK 17+)';
  // JAVA_HOME wins over PATH, as in Kafka's own kafka-run-class.sh and in infra/kafka.
  const home = probe.env.JAVA_HOME?.trim();
  const java = home ? join(home, 'bin', 'java') : probe.which('java');
  if (java === undefined) return { what, found: 'no "java" on PATH', fix };
  if (home && !probe.isExecutable(java)) return { what, found: `JAVA_HOME=${home} has no bin/java`, fix };
  const result = probe.run(java, ['-version']);
  const major = result === undefined ? undefined : javaMajor(result.output);
  if (major === undefined) return { what, found: `${java} does not report a version`, fix };
  if (major < MIN_JAVA_MAJOR) return { what, found: `${java} is Java ${major}`, fix };
  return undefined;
}

function checkMaven(probe: Probe): Missing | undefined {
  if (probe.kafkaJarsCached() || probe.which('mvn') !== undefined) return undefined;
  return {
    what: 'Maven (downloads the Kafka jars from Maven Central on the first run)',
    found: 'no "mvn" on PATH and no Kafka jars in the cache',
    fix: 'apt-get install -y maven (or point KAFKA_CACHE_DIR at a filled cache)',
  };
}

/**
 * Both commands come from Debian's `prometheus` package: promtool checks and unit-tests the alert rules, the
 * server runs them live against a test stack (tests/e2e/prometheus-live.test.ts).
 */
const PROMETHEUS_COMMANDS = ['promtool', 'prometheus'] as const;

function checkPrometheus(probe: Probe): Missing | undefined {
  const absent = PROMETHEUS_COMMANDS.filter((command) => probe.which(command) === undefined);
  if (absent.length === 0) return undefined;
  return {
    what: 'promtool and prometheus (check, unit-test and run the alert rules in ops/prometheus)',
    found: `no ${absent.map((command) => `"${command}"`).join(' and no ')} on PATH`,
    fix: 'apt-get install -y prometheus',
  };
}

/**
 * The console's browser tests drive Debian's Chromium (playwright-core downloads no browser), from CHROMIUM_PATH
 * or /usr/bin/chromium. Scripts import no test module, so the default is repeated from tests/e2e/console-support.ts.
 */
const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

function checkChromium(probe: Probe): Missing | undefined {
  const path = probe.env.CHROMIUM_PATH?.trim() || DEFAULT_CHROMIUM_PATH;
  if (probe.isExecutable(path)) return undefined;
  return {
    what: "Chromium (the operator console's browser tests)",
    found: `no executable ${path}`,
    fix: 'apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)',
  };
}

/**
 * The benchmark's and the chaos suite's private PostgreSQL servers (the quick REST-versus-Kafka comparison,
 * the short chaos run) are made with the server's own binaries, from PG_BIN_DIR or PostgreSQL 15's
 * directory. Scripts import no tools module, so the default is repeated from tools/src/bench/private-postgres.ts.
 */
const PG_SERVER_TOOLS = ['initdb', 'pg_ctl'] as const;
const DEFAULT_PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

function checkPostgresServerTools(probe: Probe): Missing | undefined {
  const dir = probe.env.PG_BIN_DIR?.trim() || DEFAULT_PG_BIN_DIR;
  const absent = PG_SERVER_TOOLS.filter((tool) => !probe.isExecutable(join(dir, tool)));
  if (absent.length === 0) return undefined;
  return {
    what: 'PostgreSQL server binaries (initdb, pg_ctl: the private servers of the chaos run and the benchmark)',
    found: `no ${absent.join(' and no ')} in ${dir}`,
    fix: 'apt-get install -y postgresql-15 (or set PG_BIN_DIR to the directory that holds initdb)',
  };
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

async function checkPostgres(probe: Probe, serverUrl: string): Promise<Missing | undefined> {
  const answer = await probe.postgres(serverUrl);
  if ('error' in answer) {
    return {
      what: `PostgreSQL at ${redact(serverUrl)} (DATABASE_URL)`,
      found: answer.error,
      fix:
        'apt-get install -y postgresql && pg_ctlcluster 15 main start (user postgres, trust auth), ' +
        'or set DATABASE_URL to a running server',
    };
  }
  if (answer.maxConnections < MIN_POSTGRES_CONNECTIONS) {
    return {
      what: `PostgreSQL max_connections >= ${MIN_POSTGRES_CONNECTIONS} (four test files run at once)`,
      found: `max_connections = ${answer.maxConnections}`,
      fix: `psql -U postgres -c "ALTER SYSTEM SET max_connections = 300", then restart PostgreSQL`,
    };
  }
  return undefined;
}

async function checkExternalKafka(probe: Probe, servers: readonly string[]): Promise<Missing | undefined> {
  const problem = await probe.kafka(servers);
  if (problem === undefined) return undefined;
  return {
    what: `Kafka at ${servers.join(',')} (KAFKA_BOOTSTRAP_SERVERS)`,
    found: problem,
    fix: 'start that cluster, or unset KAFKA_BOOTSTRAP_SERVERS to use the local broker (npm run kafka:start)',
  };
}

/**
 * Everything missing, in a stable order; empty when the suite can run. Java and Maven are needed even with
 * an external cluster: the broker tests (infra/kafka/test) start their own brokers.
 */
export async function checkPrerequisites(probe: Probe, config: PreflightConfig): Promise<Missing[]> {
  const [postgres, kafka] = await Promise.all([
    checkPostgres(probe, config.databaseUrl),
    config.externalKafka === undefined ? undefined : checkExternalKafka(probe, config.externalKafka),
  ]);
  return [
    checkJava(probe),
    checkMaven(probe),
    checkPrometheus(probe),
    checkChromium(probe),
    checkPostgresServerTools(probe),
    postgres,
    kafka,
  ].filter((missing): missing is Missing => missing !== undefined);
}

/** The message `npm test` stops with: every missing piece, what was found, and how to get it. */
export function formatMissing(missing: readonly Missing[]): string {
  const lines = [`npm test cannot run: ${missing.length} prerequisite(s) missing. Nothing was tested.`];
  for (const item of missing) {
    lines.push(`  - ${item.what}`);
    if (item.found !== undefined) lines.push(`      found: ${item.found}`);
    lines.push(`      fix:   ${item.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The real machine: PATH of `env`, real processes, real connections (each bounded by `timeoutMs`). */
export function systemProbe(env: NodeJS.ProcessEnv = process.env, timeoutMs = PREFLIGHT_CHECK_TIMEOUT_MS): Probe {
  return {
    env,
    which: (command) => findOnPath(command, env.PATH),
    isExecutable,
    run(path, args) {
      const result = spawnSync(path, args, { encoding: 'utf8', env, timeout: timeoutMs });
      if (result.error !== undefined) return undefined;
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    },
    async postgres(serverUrl) {
      const client = new pg.Client({
        connectionString: databaseUrl(serverUrl, 'postgres'),
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
      });
      try {
        await client.connect();
        const result = await client.query<{ max_connections: string }>('SHOW max_connections');
        return { maxConnections: Number(result.rows[0]?.max_connections) };
      } catch (error) {
        return { error: describeError(error) };
      } finally {
        await client.end().catch(() => {});
      }
    },
    async kafka(bootstrapServers) {
      try {
        await checkKafka(bootstrapServers, timeoutMs, kafkaSecurityFromEnv(env, TOOL_PRINCIPALS.provisioner));
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    kafkaJarsCached: () => existsSync(join(cacheRoot(env), kafkaVersion(), 'libs', KAFKA_CACHE_MARKER)),
  };
}
