/** Set it to use an existing Kafka (CI service, shared dev cluster) instead of starting one. */
export const BOOTSTRAP_ENV_VAR = 'KAFKA_BOOTSTRAP_SERVERS';

/** Comma-separated host:port list from KAFKA_BOOTSTRAP_SERVERS, or undefined when unset or blank. */
export function externalBootstrapServers(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const servers = (env[BOOTSTRAP_ENV_VAR] ?? '')
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0);
  return servers.length > 0 ? servers : undefined;
}
