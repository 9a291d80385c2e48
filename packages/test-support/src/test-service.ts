import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  dropDatabase,
  type KafkaNamespace,
  type RunningService,
  type ServiceDefinition,
  startService,
} from '@shop/platform';
import { TEST_AUTH_SECRET } from './auth.ts';
import { testBootstrapServers, testKafkaSecurityEnv, testPostgresUrl } from './infrastructure.ts';
import { LogRing } from './log-ring.ts';
import { uniqueName } from './unique-name.ts';

/** Retry tier delays for tests (RETRY_DELAYS_MS): short, so a transient failure resolves within a test. */
export const TEST_RETRY_DELAYS_MS = '100,200,300';
/**
 * How long a test waits for an answer that comes through a retry tier: the tier's own group must have
 * joined and fetched, which on a busy machine (three test files at once) has taken over 20 s, and once, in a
 * CI run of a fresh clone, over 60 s for two tiers in a row. Why a join takes that long there is not known.
 */
export const RETRY_TIER_WAIT_MS = 120_000;

export interface TestServiceOptions {
  namespace: KafkaNamespace;
  /**
   * Extra environment. PORT=0, a unique DATABASE_NAME, LOG_LEVEL, RETRY_DELAYS_MS=TEST_RETRY_DELAYS_MS and
   * AUTH_JWT_SECRET=TEST_AUTH_SECRET are set.
   */
  env?: Record<string, string>;
  /** Where the service's log lines go (set LOG_LEVEL in `env` to choose which). Default: stdout. */
  logDestination?: NodeJS.WritableStream;
}

/**
 * Boots a service in-process as production does (config, migrations, relay, consumers, HTTP on a free
 * port) on its own database and namespace; stops it and drops the database after the test.
 * Logs: by default at 'debug' into a ring of recent lines that `serviceLogTail` reads (a test puts them into
 * its failure message); with TEST_LOG_LEVEL set, to stdout at that level; with TEST_LOG_DIR set (an existing
 * directory), to `<namespace>-<service>.log` there, at TEST_LOG_LEVEL or 'debug'.
 */
export async function startTestService(
  t: TestContext,
  definition: ServiceDefinition,
  options: TestServiceOptions,
): Promise<RunningService> {
  const serverUrl = await testPostgresUrl();
  const bootstrapServers = await testBootstrapServers();
  const databaseName = uniqueName(`t_${definition.defaultDatabase}`, '_').toLowerCase();
  const logDir = process.env.TEST_LOG_DIR;
  const logLevel = process.env.TEST_LOG_LEVEL;
  const ring = options.logDestination === undefined && !logDir && logLevel === undefined ? new LogRing() : undefined;
  const logDestination =
    options.logDestination ??
    ring ??
    (logDir ? createWriteStream(join(logDir, `${options.namespace.prefix}-${definition.name}.log`)) : undefined);
  const running = await startService(
    definition,
    {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers.join(','),
      DATABASE_URL: serverUrl,
      DATABASE_NAME: databaseName,
      KAFKA_NAMESPACE: options.namespace.prefix,
      PORT: '0',
      LOG_LEVEL: logLevel ?? 'debug',
      RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
      AUTH_JWT_SECRET: TEST_AUTH_SECRET,
      // Each service logs in as its own principal, under the catalog's ACLs of the namespace.
      ...testKafkaSecurityEnv(),
      ...options.env,
    },
    logDestination === undefined ? {} : { logDestination },
  );
  if (ring !== undefined) logRings.set(running, ring);
  t.after(async () => {
    await running.stop();
    await dropDatabase(serverUrl, databaseName);
  });
  return running;
}

const logRings = new WeakMap<RunningService, LogRing>();

/**
 * The service's last log lines, for a failure message; says so when they went elsewhere (TEST_LOG_LEVEL,
 * TEST_LOG_DIR or the test's own destination).
 */
export function serviceLogTail(service: RunningService, lines = 60): string {
  const ring = logRings.get(service);
  if (ring === undefined) return `(the log of the service at ${service.url} went elsewhere)`;
  return [`last ${lines} lines of the service's log:`, ...ring.tail(lines)].join('\n');
}
