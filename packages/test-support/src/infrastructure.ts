/**
 * The broker and database the tests run against, from the same variables as the services
 * (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL), each checked once per process. Preflight failures throw: a
 * test without its broker fails loudly, it never skips.
 */
import {
  CommonEnvSchema,
  checkKafka,
  checkPostgres,
  type KafkaConnection,
  loadEnv,
  parseBootstrapServers,
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
    await checkKafka(servers);
    return servers;
  })();
  return kafkaReady;
}

export async function testKafkaConnection(clientId = uniqueName('test-client')): Promise<KafkaConnection> {
  return { bootstrapServers: await testBootstrapServers(), clientId };
}
