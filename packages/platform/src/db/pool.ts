import pg from 'pg';
import { platformError } from '../errors.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Connections per service process; the 2-core box runs four services against one PostgreSQL. */
export const DEFAULT_POOL_SIZE = 10;
/** A connection attempt that takes longer than this means the server is not there. */
export const DB_CONNECT_TIMEOUT_MS = 5_000;
export const DB_IDLE_TIMEOUT_MS = 30_000;

export interface PoolOptions {
  /** Default: DEFAULT_POOL_SIZE. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

export function createPool(url: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: DB_IDLE_TIMEOUT_MS,
    ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it would crash the
  // process. The next query on a fresh client reports the outage where it can be retried.
  pool.on('error', () => {});
  return pool;
}

/**
 * Takes a connection; any failure to get one is our database being unavailable (refused, not accepting
 * connections, too many clients, auth), whatever its SQLSTATE: PLT_POSTGRES_UNREACHABLE, retryable. This is
 * classification by where the error happened, so a connect failure is never mistaken for a bad record.
 */
export async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw platformError('PLT_POSTGRES_UNREACHABLE', `Cannot get a database connection: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Runs `fn` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
