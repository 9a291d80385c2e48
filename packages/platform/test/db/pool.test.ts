import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { inTransaction } from '../../src/db/pool.ts';
import { AppError } from '../../src/errors.ts';
import { classifyFailure } from '../../src/kafka/failure.ts';
import { createTestDatabase, testPostgresUrl } from '../../src/testing.ts';

// Regression: a database that refuses connections answers with SQLSTATE 55000, which the SQLSTATE table
// does not call retryable; the consumer runner then dead-lettered every record of a database outage.
test('inTransaction should report a refused connection as PLT_POSTGRES_UNREACHABLE, an infrastructure failure', async (t) => {
  const db = await createTestDatabase(t, 'refused');
  const admin = new pg.Client({ connectionString: `${await testPostgresUrl()}/postgres` });
  await admin.connect();
  await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
  try {
    await assertRefusedAsInfrastructure(db.pool);
  } finally {
    await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
    await admin.end();
  }
});

async function assertRefusedAsInfrastructure(pool: import('../../src/db/pool.ts').Pool): Promise<void> {
  await assert.rejects(
    inTransaction(pool, async () => {}),
    (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'PLT_POSTGRES_UNREACHABLE');
      assert.equal(error.retryable, true);
      assert.equal(classifyFailure(error).kind, 'infrastructure');
      return true;
    },
  );
}
