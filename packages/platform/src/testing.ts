/**
 * Helpers for integration tests on the real broker and database. Every name is unique per call so test
 * files can run in parallel on one machine, and everything created is removed in `t.after`.
 * Preflight failures throw: a test without its broker fails loudly, it never skips.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { CommonEnvSchema, databaseUrl, loadEnv, parseBootstrapServers } from './config.ts';
import { dropDatabase, ensureDatabase } from './db/databases.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createAdmin, type KafkaAdmin, type KafkaConnection } from './kafka/clients.ts';
import { type KafkaNamespace, kafkaNamespace } from './kafka/namespace.ts';
import { provisionTopics } from './kafka/provisioning/provision.ts';
import { checkKafka, checkPostgres } from './preflight.ts';
import { type RunningService, type ServiceDefinition, startService } from './service.ts';

let postgresReady: Promise<string> | undefined;
let kafkaReady: Promise<readonly string[]> | undefined;

/** The PostgreSQL server URL tests use (DATABASE_URL, as for the services), checked once per process. */
export function testPostgresUrl(): Promise<string> {
  postgresReady ??= (async () => {
    const url = loadEnv(CommonEnvSchema).DATABASE_URL;
    await checkPostgres(url);
    return url;
  })();
  return postgresReady;
}

/** The Kafka bootstrap servers tests use (KAFKA_BOOTSTRAP_SERVERS), checked once per process. */
export function testBootstrapServers(): Promise<readonly string[]> {
  kafkaReady ??= (async () => {
    const servers = parseBootstrapServers(loadEnv(CommonEnvSchema).KAFKA_BOOTSTRAP_SERVERS);
    await checkKafka(servers);
    return servers;
  })();
  return kafkaReady;
}

/** `prefix` plus a random suffix; lower-case letters, digits and `_`/`-` only. */
export function uniqueName(prefix: string, separator: '-' | '_' = '-'): string {
  return `${prefix}${separator}${Date.now().toString(36)}${separator}${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
}

/** A fresh database, dropped after the test (pool closed first). */
export async function createTestDatabase(t: TestContext, prefix = 'test'): Promise<TestDatabase> {
  const serverUrl = await testPostgresUrl();
  const name = uniqueName(`t_${prefix}`, '_').toLowerCase();
  await ensureDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  const pool = createPool(url, { max: 5, applicationName: `test ${name}` });
  t.after(async () => {
    await pool.end().catch(() => {});
    await dropDatabase(serverUrl, name);
  });
  return { name, url, pool };
}

export async function testKafkaConnection(clientId = uniqueName('test-client')): Promise<KafkaConnection> {
  return { bootstrapServers: await testBootstrapServers(), clientId };
}

export interface TestTopicOptions {
  /** Default: 3. */
  partitions?: number;
  /** Default: 1, which every cluster can host. */
  replicas?: number;
  configs?: Record<string, string>;
}

/** Creates uniquely named topics, deleted after the test. Returns the names in the order of `prefixes`. */
export async function createTestTopics(
  t: TestContext,
  prefixes: readonly string[],
  options: TestTopicOptions = {},
): Promise<string[]> {
  const admin: KafkaAdmin = createAdmin(await testKafkaConnection('test-admin'));
  const names = prefixes.map((prefix) => uniqueName(`test.${prefix}`));
  await admin.createTopics({
    topics: names,
    partitions: options.partitions ?? 3,
    replicas: options.replicas ?? 1,
    configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
  });
  t.after(async () => {
    await admin.deleteTopics({ topics: names }).catch(() => {});
    await admin.close();
  });
  return names;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/**
 * A unique Kafka namespace with the whole topic catalog provisioned in it (RF capped to the cluster), its
 * topics deleted after the test. Services started with it (KAFKA_NAMESPACE) use only these topics and groups.
 */
export async function createTestNamespace(t: TestContext, prefix = 'test'): Promise<KafkaNamespace> {
  const namespace = kafkaNamespace(uniqueName(prefix));
  const connection = await testKafkaConnection('test-provision');
  const result = await provisionTopics({ connection, namespace, apply: true });
  t.after(async () => {
    const admin = createAdmin(connection);
    await admin
      .deleteTopics({ topics: result.applied.flatMap((a) => (a.kind === 'create' ? [a.topic.name] : [])) })
      .catch(() => {});
    await admin.close();
  });
  return namespace;
}

/** Retry tier delays for tests (RETRY_DELAYS_MS): short, so a transient failure resolves within a test. */
export const TEST_RETRY_DELAYS_MS = '100,200,300';

export interface TestServiceOptions {
  namespace: KafkaNamespace;
  /** Extra environment. PORT=0, a unique DATABASE_NAME, LOG_LEVEL and RETRY_DELAYS_MS=TEST_RETRY_DELAYS_MS are set. */
  env?: Record<string, string>;
}

/**
 * Boots a service in-process as production does (config, migrations, relay, consumers, HTTP on a free
 * port) on its own database and namespace; stops it and drops the database after the test.
 * Log level: TEST_LOG_LEVEL (default 'silent').
 */
export async function startTestService(
  t: TestContext,
  definition: ServiceDefinition,
  options: TestServiceOptions,
): Promise<RunningService> {
  const serverUrl = await testPostgresUrl();
  const bootstrapServers = await testBootstrapServers();
  const databaseName = uniqueName(`t_${definition.defaultDatabase}`, '_').toLowerCase();
  const running = await startService(definition, {
    KAFKA_BOOTSTRAP_SERVERS: bootstrapServers.join(','),
    DATABASE_URL: serverUrl,
    DATABASE_NAME: databaseName,
    KAFKA_NAMESPACE: options.namespace.prefix,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
    ...options.env,
  });
  t.after(async () => {
    await running.stop();
    await dropDatabase(serverUrl, databaseName);
  });
  return running;
}
