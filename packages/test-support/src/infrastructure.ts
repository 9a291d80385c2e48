/**
 * The broker and database the tests run against, from the same variables as the services
 * (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL), each checked once per process. Preflight failures throw: a
 * test without its broker fails loudly, it never skips.
 */
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import {
  CommonEnvSchema,
  checkKafka,
  checkPostgres,
  type KafkaConnection,
  type KafkaSecurity,
  kafkaSecurityFromEnv,
  loadEnv,
  parseBootstrapServers,
  principalLogin,
} from '@shop/platform';
import { uniqueName } from './unique-name.ts';

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
    await checkKafka(servers, undefined, testKafkaSecurity());
    return servers;
  })();
  return kafkaReady;
}

/**
 * The test helpers' login: the provisioner's (a super user: helpers create topics, ACLs and read anything),
 * from the environment the harness sets (KAFKA_CREDENTIALS_DIR for the local broker, or the user's own
 * KAFKA_SASL_* for an external cluster). Services started by the helpers log in as themselves instead.
 */
export function testKafkaSecurity(): KafkaSecurity {
  return kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner);
}

export async function testKafkaConnection(clientId = uniqueName('test-client')): Promise<KafkaConnection> {
  return { bootstrapServers: await testBootstrapServers(), clientId, security: testKafkaSecurity() };
}

/** The security variables of this process, handed on to the services a test starts with its own environment. */
export function testKafkaSecurityEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && /^KAFKA_(SASL_|TLS|CREDENTIALS_DIR$)/.test(entry[0]),
    ),
  );
}

/**
 * A connection that logs in as `principal` (a service or tool), for tests of what the catalog's ACLs allow.
 * Needs the per-principal passwords of KAFKA_CREDENTIALS_DIR (the harness sets it for the local brokers).
 */
export async function testPrincipalConnection(
  principal: string,
  clientId = uniqueName('test-client'),
): Promise<KafkaConnection> {
  const dir = process.env.KAFKA_CREDENTIALS_DIR;
  if (dir === undefined || dir === '') {
    throw new Error(
      'KAFKA_CREDENTIALS_DIR is not set: the tests of the ACLs log in as each principal, so they need the directory ' +
        'of their password files (npm test sets it for the local broker; for your own cluster, create it)',
    );
  }
  const base = testKafkaSecurity();
  return {
    bootstrapServers: await testBootstrapServers(),
    clientId,
    security: { ...base, sasl: principalLogin(dir, principal) },
  };
}
