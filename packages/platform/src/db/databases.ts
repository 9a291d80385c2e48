import pg from 'pg';
import { databaseUrl } from '../config.ts';
import { DB_CONNECT_TIMEOUT_MS } from './pool.ts';

/** Database names we create are plain identifiers, so they never need quoting rules beyond this. */
const DATABASE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';
const INVALID_CATALOG_NAME = '3D000';

function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME_PATTERN.test(name)) {
    throw new Error(`Database name "${name}" must match ${DATABASE_NAME_PATTERN}`);
  }
}

async function withServerClient<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: databaseUrl(serverUrl, 'postgres'),
    connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the database when it does not exist. Safe to call concurrently: CREATE DATABASE has no
 * IF NOT EXISTS, so a creation race is recognised by its SQLSTATE and treated as success.
 * Returns true when this call created it.
 */
export async function ensureDatabase(serverUrl: string, name: string): Promise<boolean> {
  assertDatabaseName(name);
  return withServerClient(serverUrl, async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  });
}

/** Drops the database, disconnecting its sessions first. For tests and `db reset`; never called by services. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  assertDatabaseName(name);
  await withServerClient(serverUrl, async (client) => {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch (error) {
      if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
    }
  });
}
