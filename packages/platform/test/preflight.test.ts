import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TEST_AUTH_SECRET,
  testBootstrapServers,
  testKafkaSecurityEnv,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import pg from 'pg';
import { dropDatabase } from '../src/db/databases.ts';
import { AppError } from '../src/errors.ts';
import { type ServiceDefinition, startService } from '../src/service.ts';

/** "Fails within seconds": the boot must not hang on a missing dependency. */
const FAIL_FAST_LIMIT_MS = 10_000;
/** Ports nothing listens on in this suite. */
const CLOSED_POSTGRES_URL = 'postgres://postgres@127.0.0.1:1';
const CLOSED_KAFKA = 'localhost:1';

const definition: ServiceDefinition = {
  name: 'order-service',
  defaultPort: 0,
  defaultDatabase: 'never_created',
  migrations: [],
  async start() {
    throw new Error('must not be reached');
  },
};

async function bootFailure(env: Record<string, string>): Promise<{ error: AppError; ms: number }> {
  const started = Date.now();
  try {
    await startService(definition, { LOG_LEVEL: 'silent', PORT: '0', AUTH_JWT_SECRET: TEST_AUTH_SECRET, ...env });
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    return { error, ms: Date.now() - started };
  }
  assert.fail('the service started without its dependency');
}

test('a service should refuse to start within seconds, naming PostgreSQL and the fix, when PostgreSQL is unreachable', async () => {
  const { error, ms } = await bootFailure({
    DATABASE_URL: CLOSED_POSTGRES_URL,
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    ...testKafkaSecurityEnv(),
  });
  assert.equal(error.code, 'PLT_POSTGRES_UNREACHABLE');
  assert.match(error.message, /PostgreSQL is not reachable at postgres:\/\/postgres@127\.0\.0\.1:1/);
  assert.match(error.hint ?? '', /DATABASE_URL/);
  assert.ok(ms < FAIL_FAST_LIMIT_MS, `took ${ms} ms`);
});

test('a service should refuse to start within seconds, naming Kafka and the fix, when Kafka is unreachable', async () => {
  const { error, ms } = await bootFailure({
    DATABASE_URL: await testPostgresUrl(),
    KAFKA_BOOTSTRAP_SERVERS: CLOSED_KAFKA,
  });
  assert.equal(error.code, 'PLT_KAFKA_UNREACHABLE');
  assert.match(error.message, /Kafka is not reachable at localhost:1/);
  assert.match(error.hint ?? '', /npm run kafka:start|KAFKA_BOOTSTRAP_SERVERS/);
  assert.ok(ms < FAIL_FAST_LIMIT_MS, `took ${ms} ms`);
});

test('a service should refuse to start on invalid configuration, listing every bad variable', async () => {
  const { error } = await bootFailure({ PORT: 'eighty', LOG_LEVEL: 'loud' });
  assert.equal(error.code, 'PLT_CONFIG_INVALID');
  assert.match(error.message, /PORT/);
  assert.match(error.message, /LOG_LEVEL/);
});

test('a service should refuse to start without an authentication source, before touching PostgreSQL or Kafka', async () => {
  // Unreachable dependencies: a boot that got past its configuration would fail on them instead.
  const { error } = await bootFailure({
    DATABASE_URL: CLOSED_POSTGRES_URL,
    KAFKA_BOOTSTRAP_SERVERS: CLOSED_KAFKA,
    AUTH_JWT_SECRET: '',
  });
  assert.equal(error.code, 'PLT_CONFIG_INVALID');
  assert.match(error.message, /no authentication configured/);
  assert.match(error.hint ?? '', /AUTH_JWT_SECRET/);
  const short = await bootFailure({ AUTH_JWT_SECRET: 'too-short' });
  assert.equal(short.error.code, 'PLT_CONFIG_INVALID');
  assert.match(short.error.message, /AUTH_JWT_SECRET/);
});

test('a service whose start-up fails after its resources opened should close them all before rejecting', async () => {
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_failed_boot', '_');
  const failing: ServiceDefinition = {
    ...definition,
    defaultDatabase: databaseName,
    async start() {
      throw new Error('start failed (injected)');
    },
  };
  try {
    await assert.rejects(
      startService(failing, {
        LOG_LEVEL: 'silent',
        PORT: '0',
        AUTH_JWT_SECRET: TEST_AUTH_SECRET,
        DATABASE_URL: serverUrl,
        KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
        ...testKafkaSecurityEnv(),
      }),
      /start failed \(injected\)/,
    );
    const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
        [databaseName],
      );
      assert.equal(Number(rows[0]?.n), 0, 'no connection to the service database left open');
    } finally {
      await admin.end();
    }
  } finally {
    await dropDatabase(serverUrl, databaseName);
  }
});
