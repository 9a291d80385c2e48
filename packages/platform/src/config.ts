import type { Static, TObject, TProperties } from 'typebox';
import Type from 'typebox';
import Value from 'typebox/value';
import { platformError } from './errors.ts';

/**
 * Environment variables are read here, once, at start-up. Everything else receives the frozen result,
 * so no module deep in the code reads `process.env` and a typo fails the boot instead of a request.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The local broker `npm start` and `npm run kafka:start` run. */
export const DEFAULT_BOOTSTRAP_SERVERS = 'localhost:9092';

/** Kafka SASL and TLS (read by kafka/security.ts, which resolves password files). */
export const KafkaSecurityEnvSchema = Type.Object({
  /** SASL mechanism; default SCRAM-SHA-512 when a user name is given. */
  KAFKA_SASL_MECHANISM: Type.Optional(Type.Enum(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'])),
  /** SASL user; default: the process's own principal when KAFKA_CREDENTIALS_DIR is used. */
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  /** A file holding the password (first line); instead of KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_PASSWORD_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * A directory of password files named after the principals (the local brokers write one to
   * `.run/kafka/<single|cluster>/credentials`): each process logs in as its own principal from it.
   */
  KAFKA_CREDENTIALS_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** Connect over TLS (a user's own cluster; the local brokers listen on loopback without it). */
  KAFKA_TLS: Type.Boolean({ default: false }),
  /** PEM file of the CA that signed the brokers' certificates; default: the system's CAs. */
  KAFKA_TLS_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** PEM client certificate and key, for a cluster that also wants mutual TLS. */
  KAFKA_TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
});

/** Variables every process of the system understands. */
export const CommonEnvSchema = Type.Object({
  ...KafkaSecurityEnvSchema.properties,
  /** Comma-separated Kafka bootstrap servers. Default: the local broker started by `npm run kafka:start`. */
  KAFKA_BOOTSTRAP_SERVERS: Type.String({ default: DEFAULT_BOOTSTRAP_SERVERS, minLength: 1 }),
  /** PostgreSQL server URL without a database; each service appends its own database. */
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432', pattern: '^postgres(ql)?://' }),
  LOG_LEVEL: Type.Enum([...LOG_LEVELS], { default: 'info' }),
});

export type CommonEnv = Static<typeof CommonEnvSchema>;

/**
 * Validates `env` against `schema`: applies defaults, converts strings to the declared types, rejects
 * invalid values with one error that lists every problem, and returns a deeply frozen object.
 * Only the schema's own keys are read; other variables are ignored.
 */
export function loadEnv<Props extends TProperties>(
  schema: TObject<Props>,
  env: Env = process.env,
): Readonly<Static<TObject<Props>>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const value = Value.Convert(schema, Value.Default(schema, picked));
  const problems = [
    ...new Set(
      [...Value.Errors(schema, value)].map((error) => `${error.instancePath.slice(1) || '(root)'}: ${error.message}`),
    ),
  ];
  if (problems.length > 0) {
    throw platformError('PLT_CONFIG_INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'Fix the environment variables named above; see README "Configuration".',
      details: { problems },
    });
  }
  return deepFreeze(value as Static<TObject<Props>>);
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Splits `host:port,host:port` into the list the Kafka client expects. */
export function parseBootstrapServers(value: string): string[] {
  return value
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0);
}

/** The URL of one database on the server named by `serverUrl` (any database path in it is replaced). */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
