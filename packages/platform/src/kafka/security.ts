import { existsSync, readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BOOTSTRAP_SERVERS, type Env, parseBootstrapServers } from '../config.ts';
import { platformError } from '../errors.ts';

/*
 * How every process logs in to Kafka. Credentials come from the environment (or files it names), never from
 * code (the variables: KafkaSecurityEnvSchema in config.ts); they are read and checked here, once, at
 * start-up, and reach the clients only through KafkaConnection (clients.ts passes them to every producer,
 * consumer and admin).
 */
export type SaslMechanism = 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';

/** A principal's login, in the shape @platformatic/kafka's `sasl` option takes. */
export interface SaslLogin {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** What a client needs beyond the bootstrap servers to reach a secured cluster. */
export interface KafkaSecurity {
  readonly sasl?: SaslLogin;
  readonly tls?: TlsOptions;
}

/**
 * Where the local single broker (infra/kafka, started by `npm start`, `npm test` or `npm run kafka:start`)
 * writes its passwords. Used only when nothing about Kafka is configured at all, so a process run by hand
 * next to `npm start` (the CLI of the README's try-it session, a service started alone) logs in as itself.
 */
export const LOCAL_CREDENTIALS_DIR = fileURLToPath(
  new URL('../../../../.run/kafka/single/credentials', import.meta.url),
);

function invalid(problem: string): never {
  throw platformError('PLT_CONFIG_INVALID', `Invalid configuration:\n  ${problem}`, {
    hint: 'Fix the Kafka security variables (KAFKA_SASL_*, KAFKA_CREDENTIALS_DIR, KAFKA_TLS_*); see README "Configuration".',
    details: { problems: [problem] },
  });
}

function readSecretFile(variable: string, file: string): string {
  try {
    const value = readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
    if (value === '') invalid(`${variable}: ${file} is empty`);
    return value;
  } catch (error) {
    if ((error as { code?: string }).code === 'PLT_CONFIG_INVALID') throw error;
    return invalid(`${variable}: cannot read ${file} (${(error as Error).message})`);
  }
}

function readPem(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return invalid(`${variable}: cannot read ${file} (${(error as Error).message})`);
  }
}

function raw(env: Env, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The SASL login and TLS settings of a process whose own principal is `principal`, from the environment:
 * - KAFKA_SASL_USERNAME with KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE: exactly that login;
 * - else KAFKA_CREDENTIALS_DIR: `principal`'s password file in it;
 * - else, when KAFKA_BOOTSTRAP_SERVERS is unset too (the local default), the local broker's credentials
 *   directory if it exists; otherwise no SASL (a plaintext cluster).
 * Contradictions (a user without a password, both a password and a password file) stop the process.
 */
export function kafkaSecurityFromEnv(env: Env, principal: string): KafkaSecurity {
  const mechanism = (raw(env, 'KAFKA_SASL_MECHANISM') ?? 'SCRAM-SHA-512') as SaslMechanism;
  if (!['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'].includes(mechanism)) {
    invalid(`KAFKA_SASL_MECHANISM: must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, not ${mechanism}`);
  }
  const username = raw(env, 'KAFKA_SASL_USERNAME');
  const password = raw(env, 'KAFKA_SASL_PASSWORD');
  const passwordFile = raw(env, 'KAFKA_SASL_PASSWORD_FILE');
  const credentialsDir = raw(env, 'KAFKA_CREDENTIALS_DIR');
  if (password !== undefined && passwordFile !== undefined) {
    invalid('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: give one');
  }
  let sasl: SaslLogin | undefined;
  if (username !== undefined) {
    if (password === undefined && passwordFile === undefined) {
      invalid('KAFKA_SASL_USERNAME is set without KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE');
    }
    sasl = {
      mechanism,
      username,
      password: password ?? readSecretFile('KAFKA_SASL_PASSWORD_FILE', passwordFile as string),
    };
  } else if (password !== undefined || passwordFile !== undefined) {
    invalid('a KAFKA_SASL password is set without KAFKA_SASL_USERNAME');
  } else if (raw(env, 'KAFKA_SASL_MECHANISM') !== undefined && credentialsDir === undefined) {
    invalid('KAFKA_SASL_MECHANISM is set without KAFKA_SASL_USERNAME or KAFKA_CREDENTIALS_DIR');
  } else {
    const local = raw(env, 'KAFKA_BOOTSTRAP_SERVERS') === undefined && existsSync(LOCAL_CREDENTIALS_DIR);
    const dir = credentialsDir ?? (local ? LOCAL_CREDENTIALS_DIR : undefined);
    if (dir !== undefined) {
      sasl = {
        mechanism,
        username: principal,
        password: readSecretFile('KAFKA_CREDENTIALS_DIR', `${dir}/${principal}`),
      };
    }
  }

  const tlsOn = ['true', '1', 'yes'].includes((raw(env, 'KAFKA_TLS') ?? 'false').toLowerCase());
  const tlsFiles = ['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'].filter(
    (key) => raw(env, key) !== undefined,
  );
  if (!tlsOn && tlsFiles.length > 0) invalid(`${tlsFiles.join(', ')} set without KAFKA_TLS=true`);
  const cert = raw(env, 'KAFKA_TLS_CERT_FILE');
  const key = raw(env, 'KAFKA_TLS_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) invalid('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together');
  const ca = raw(env, 'KAFKA_TLS_CA_FILE');
  const tls: TlsOptions | undefined = tlsOn
    ? {
        ...(ca === undefined ? {} : { ca: readPem('KAFKA_TLS_CA_FILE', ca) }),
        ...(cert === undefined ? {} : { cert: readPem('KAFKA_TLS_CERT_FILE', cert) }),
        ...(key === undefined ? {} : { key: readPem('KAFKA_TLS_KEY_FILE', key) }),
      }
    : undefined;
  return Object.freeze({ ...(sasl === undefined ? {} : { sasl }), ...(tls === undefined ? {} : { tls }) });
}

/** The SCRAM login of `principal` from a directory of password files (tests that act as several principals). */
export function principalLogin(credentialsDir: string, principal: string): SaslLogin {
  return {
    mechanism: 'SCRAM-SHA-512',
    username: principal,
    password: readSecretFile('KAFKA_CREDENTIALS_DIR', `${credentialsDir}/${principal}`),
  };
}

/**
 * A process's Kafka connection from its environment: KAFKA_BOOTSTRAP_SERVERS (default the local broker) and
 * the login of `principal` (see {@link kafkaSecurityFromEnv}).
 */
export function kafkaConnectionFromEnv(
  env: Env,
  options: { clientId: string; principal: string },
): { bootstrapServers: string[]; clientId: string; security: KafkaSecurity } {
  return {
    bootstrapServers: parseBootstrapServers(raw(env, 'KAFKA_BOOTSTRAP_SERVERS') ?? DEFAULT_BOOTSTRAP_SERVERS),
    clientId: options.clientId,
    security: kafkaSecurityFromEnv(env, options.principal),
  };
}
