/**
 * What a scenario needs before it builds its throw-away stack: a running broker and PostgreSQL. A scenario
 * never starts a broker of its own (it would outlive the scenario or make it wait a minute for a JVM); it
 * stops within seconds, saying how to start the shared one.
 */
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { checkKafka, checkPostgres, kafkaSecurityFromEnv, PREFLIGHT_TIMEOUT_MS } from '@shop/platform';

/** undefined when a broker at `bootstrapServers` answers a metadata request, else what to tell the user. */
export async function kafkaProblem(
  bootstrapServers: readonly string[],
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<string | undefined> {
  try {
    await checkKafka(bootstrapServers, timeoutMs, kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner));
    return undefined;
  } catch (error) {
    // The message names the servers and the cause: "Kafka is not reachable at localhost:9092 (...)".
    return (
      `${(error as Error).message}; the scenarios need a running broker: ` +
      'start it with `npm run kafka:start` (or `npm start`), ' +
      'or set KAFKA_BOOTSTRAP_SERVERS to a running cluster.'
    );
  }
}

/** undefined when PostgreSQL at `serverUrl` answers, else what to tell the user. */
export async function postgresProblem(
  serverUrl: string,
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<string | undefined> {
  try {
    await checkPostgres(serverUrl, timeoutMs);
    return undefined;
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    return `${(error as Error).message}${hint === undefined ? '' : `; ${hint}`}`;
  }
}
