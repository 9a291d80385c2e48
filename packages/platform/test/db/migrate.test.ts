import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from '@shop/test-support';
import { migrate } from '../../src/db/migrate.ts';
import { AppError } from '../../src/errors.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

async function migrationDir(t: import('node:test').TestContext, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

test('migrate should apply migrations in numeric order and record them', async (t) => {
  const db = await createTestDatabase(t, 'migrate');
  const directory = await migrationDir(t, {
    '0002_add_column.sql': 'ALTER TABLE widgets ADD COLUMN colour text;',
    '0001_create.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);',
  });
  const applied = await migrate(db.pool, [{ name: 'svc', directory }]);
  assert.deepEqual(
    applied.map((m) => m.version),
    [1, 2],
  );
  const columns = await db.pool.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY column_name",
  );
  assert.deepEqual(
    columns.rows.map((r) => r.column_name),
    ['colour', 'id'],
  );
});

test('migrate should be safe to run twice and concurrently', async (t) => {
  const db = await createTestDatabase(t, 'migrate');
  const directory = await migrationDir(t, { '0001_create.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);' });
  const sources = [{ name: 'svc', directory }, platformMigrations];
  const results = await Promise.all([migrate(db.pool, sources), migrate(db.pool, sources), migrate(db.pool, sources)]);
  assert.equal(results.flat().length, 4, 'each migration applied exactly once across concurrent runners');
  assert.deepEqual(await migrate(db.pool, sources), []);
  const recorded = await db.pool.query('SELECT source, version FROM schema_migrations ORDER BY source, version');
  assert.deepEqual(recorded.rows, [
    { source: 'platform', version: 1 },
    { source: 'platform', version: 2 },
    { source: 'platform', version: 3 },
    { source: 'svc', version: 1 },
  ]);
});

test('migrate should roll back a failing migration and keep the ones before it', async (t) => {
  const db = await createTestDatabase(t, 'migrate');
  const directory = await migrationDir(t, {
    '0001_create.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);',
    '0002_broken.sql': 'CREATE TABLE gadgets (id int); SELECT no_such_function();',
  });
  await assert.rejects(migrate(db.pool, [{ name: 'svc', directory }]), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'PLT_MIGRATION_FAILED');
    return true;
  });
  const tables = await db.pool.query("SELECT to_regclass('widgets') AS w, to_regclass('gadgets') AS g");
  assert.equal(tables.rows[0].w, 'widgets');
  assert.equal(tables.rows[0].g, null);
});

test('migrate should refuse a migration that was edited after it was applied', async (t) => {
  const db = await createTestDatabase(t, 'migrate');
  const directory = await migrationDir(t, { '0001_create.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);' });
  await migrate(db.pool, [{ name: 'svc', directory }]);
  await writeFile(join(directory, '0001_create.sql'), 'CREATE TABLE widgets (id bigint PRIMARY KEY);');
  await assert.rejects(migrate(db.pool, [{ name: 'svc', directory }]), { code: 'PLT_MIGRATION_CHECKSUM_MISMATCH' });
});
