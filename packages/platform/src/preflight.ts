import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { databaseUrl } from './config.ts';
import { platformError } from './errors.ts';
import { clientSecurityOptions } from './kafka/clients.ts';
import type { KafkaSecurity } from './kafka/security.ts';

/** Start-up checks answer within seconds: a missing dependency must fail loudly, not hang. */
export const PREFLIGHT_TIMEOUT_MS = 5_000;

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

function describeCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** Fails with PLT_POSTGRES_UNREACHABLE (and how to fix it) unless the server answers a query. */
export async function checkPostgres(serverUrl: string, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<void> {
  const client = new pg.Client({
    connectionString: databaseUrl(serverUrl, 'postgres'),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw platformError(
      'PLT_POSTGRES_UNREACHABLE',
      `PostgreSQL is not reachable at ${redact(serverUrl)} (${describeCause(error)})`,
      {
        cause: error,
        hint:
          'Start PostgreSQL (on this machine: pg_ctlcluster 15 main start) or point DATABASE_URL at a running server, ' +
          'e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432',
      },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Fails with PLT_KAFKA_UNREACHABLE (and how to fix it) unless a broker answers a metadata request. */
export async function checkKafka(
  bootstrapServers: readonly string[],
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
  security?: KafkaSecurity,
): Promise<void> {
  const admin = new Admin({
    ...clientSecurityOptions(security),
    clientId: 'preflight',
    bootstrapBrokers: [...bootstrapServers],
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  try {
    await admin.metadata({ topics: [] });
  } catch (error) {
    if (isAuthenticationFailure(error)) {
      throw platformError(
        'PLT_KAFKA_UNREACHABLE',
        `Kafka at ${bootstrapServers.join(',')} refused the login${security?.sasl ? ` of ${security.sasl.username}` : ' (no SASL credentials configured)'} (${describeCause(error)})`,
        {
          cause: error,
          hint:
            'Give this process its credentials: KAFKA_SASL_USERNAME with KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, ' +
            'or KAFKA_CREDENTIALS_DIR (the local brokers write theirs to .run/kafka/<single|cluster>/credentials).',
        },
      );
    }
    throw platformError(
      'PLT_KAFKA_UNREACHABLE',
      `Kafka is not reachable at ${bootstrapServers.join(',')} (${describeCause(error)})`,
      {
        cause: error,
        hint:
          'Start the local broker with "npm run kafka:start", or set KAFKA_BOOTSTRAP_SERVERS to a running cluster. ' +
          'A broker that closes the connection at once may want a SASL login this process does not send ' +
          '(KAFKA_SASL_USERNAME and a password, or KAFKA_CREDENTIALS_DIR).',
      },
    );
  } finally {
    await admin.close().catch(() => {});
  }
}

/** A SASL failure (wrong or missing credentials), told apart from an unreachable broker for a better hint. */
function isAuthenticationFailure(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { message, code, cause, errors } = error as {
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (/SASL|authenticat/i.test(`${String(message)} ${String(code)}`)) return true;
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])];
  return nested.some((inner) => isAuthenticationFailure(inner, depth + 1));
}
