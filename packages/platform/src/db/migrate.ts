import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { platformError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from './pool.ts';

/**
 * A set of plain SQL migrations that belong together, e.g. a service's own tables or the platform's
 * outbox/inbox tables. Versions are unique per source, so sources evolve independently in one database.
 */
export interface MigrationSource {
  /** Recorded with each applied migration, e.g. `order-service` or `platform`. */
  name: string;
  /** Folder of `NNNN_description.sql` files, applied in numeric order. */
  directory: string;
}

export interface AppliedMigration {
  source: string;
  version: number;
  name: string;
}

const MIGRATION_FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/**
 * Serialises concurrent runners (several replicas starting at once) on one database. The key is a
 * fixed arbitrary number; advisory locks are per database, so services never contend with each other.
 */
const MIGRATION_LOCK_KEY = 727_001;

interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(source: MigrationSource): Promise<MigrationFile[]> {
  const entries = await readdir(source.directory);
  const files: MigrationFile[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.sql')) continue;
    const match = MIGRATION_FILE_PATTERN.exec(entry);
    if (match === null) {
      throw platformError(
        'PLT_MIGRATION_FAILED',
        `Migration file "${entry}" in ${source.directory} is not named NNNN_description.sql`,
      );
    }
    const sql = await readFile(join(source.directory, entry), 'utf8');
    files.push({
      version: Number(match[1]),
      name: match[2] ?? entry,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  const versions = new Set<number>();
  for (const file of files) {
    if (versions.has(file.version)) {
      throw platformError(
        'PLT_MIGRATION_FAILED',
        `Two migrations share version ${file.version} in ${source.directory}`,
      );
    }
    versions.add(file.version);
  }
  return files;
}

/**
 * Applies every migration not yet recorded, each in its own transaction together with its record, so a
 * failure leaves the database at the last good version. Idempotent, and safe to run concurrently: runners
 * queue on an advisory lock and the later ones find nothing to do. A recorded migration whose file has
 * changed is an error: migrations are append-only once applied.
 */
export async function migrate(
  pool: Pool,
  sources: readonly MigrationSource[],
  logger?: Logger,
): Promise<AppliedMigration[]> {
  const client = await pool.connect();
  const applied: AppliedMigration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      source text NOT NULL,
      version integer NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, version)
    )`);
    for (const source of sources) {
      const files = await readMigrations(source);
      const recorded = await client.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations WHERE source = $1',
        [source.name],
      );
      const checksums = new Map(recorded.rows.map((row) => [row.version, row.checksum]));
      for (const file of files) {
        const known = checksums.get(file.version);
        if (known !== undefined) {
          if (known !== file.checksum) {
            throw platformError(
              'PLT_MIGRATION_CHECKSUM_MISMATCH',
              `Migration ${source.name}/${file.version}_${file.name} was changed after it was applied`,
              { hint: 'Add a new migration instead of editing an applied one.' },
            );
          }
          continue;
        }
        try {
          await client.query('BEGIN');
          await client.query(file.sql);
          await client.query(
            'INSERT INTO schema_migrations (source, version, name, checksum) VALUES ($1, $2, $3, $4)',
            [source.name, file.version, file.name, file.checksum],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw platformError('PLT_MIGRATION_FAILED', `Migration ${source.name}/${file.version}_${file.name} failed`, {
            cause: error,
          });
        }
        applied.push({ source: source.name, version: file.version, name: file.name });
        logger?.info({ source: source.name, version: file.version, migration: file.name }, 'migration applied');
      }
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
}
