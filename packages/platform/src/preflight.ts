import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { databaseUrl } from './config.ts';
import { platformError } from './errors.ts';

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
export async function checkKafka(bootstrapServers: readonly string[], timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<void> {
  const admin = new Admin({
    clientId: 'preflight',
    bootstrapBrokers: [...bootstrapServers],
    retries: 0,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  try {
    await admin.metadata({ topics: [] });
  } catch (error) {
    throw platformError(
      'PLT_KAFKA_UNREACHABLE',
      `Kafka is not reachable at ${bootstrapServers.join(',')} (${describeCause(error)})`,
      {
        cause: error,
        hint: 'Start the local broker with "npm run kafka:start", or set KAFKA_BOOTSTRAP_SERVERS to a running cluster.',
      },
    );
  } finally {
    await admin.close().catch(() => {});
  }
}
