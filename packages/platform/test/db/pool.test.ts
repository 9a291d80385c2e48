import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase, testPostgresUrl } from '@shop/test-support';
import pg from 'pg';
import { createPool, inTransaction } from '../../src/db/pool.ts';
import { AppError, classifyError } from '../../src/errors.ts';
import { classifyFailure } from '../../src/kafka/failure.ts';

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

// Regression: a connection that died while checked out between queries crashed the process (an 'error' event
// on the client with no listener), and the next query's error ("not queryable", no SQLSTATE) was classified
// as unexpected, so the consumer runner would have dead-lettered a record because PostgreSQL restarted.
test('inTransaction should survive its connection being killed and report PLT_POSTGRES_UNREACHABLE, an infrastructure failure', async (t) => {
  const db = await createTestDatabase(t, 'killed');
  const admin = new pg.Client({ connectionString: `${await testPostgresUrl()}/postgres` });
  await admin.connect();
  t.after(() => admin.end());
  const kill = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);
  const backendPid = async (client: pg.PoolClient) =>
    (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;

  const betweenQueries = inTransaction(db.pool, async (client) => {
    await kill(await backendPid(client));
    // A handler awaiting something else inside its transaction (a provider call) while the connection dies.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.query('SELECT 1');
  });
  const duringQuery = inTransaction(db.pool, async (client) => {
    const pid = await backendPid(client);
    setTimeout(() => void kill(pid), 200);
    await client.query('SELECT pg_sleep(5)');
  });
  for (const outcome of await Promise.allSettled([betweenQueries, duringQuery])) {
    assert.equal(outcome.status, 'rejected');
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'PLT_POSTGRES_UNREACHABLE');
    assert.equal(classifyFailure(error).kind, 'infrastructure');
  }
  // The pool dropped the broken clients: the next transaction works.
  assert.equal(await inTransaction(db.pool, async (client) => (await client.query('SELECT 1 AS one')).rows[0]?.one), 1);
});

// Regression: with every connection of the pool busy, a bare pool.query waited the connect timeout and
// rejected with pg-pool's plain Error (no code), classified PLT_UNEXPECTED: a long-poll answered 500 under
// load instead of 503 and a retry.
test('pool.query should report a pool with no free connection as PLT_POSTGRES_UNREACHABLE, answered 503', async (t) => {
  const db = await createTestDatabase(t, 'pool_busy');
  const pool = createPool(db.url, { max: 1, connectTimeoutMs: 200 });
  t.after(() => pool.end());
  const held = await pool.connect();
  try {
    await assert.rejects(pool.query('SELECT 1'), (error: unknown) => {
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.code, 'PLT_POSTGRES_UNREACHABLE');
      assert.equal(classifyError(error).httpStatus, 503);
      assert.equal(classifyFailure(error).kind, 'infrastructure');
      return true;
    });
  } finally {
    held.release();
  }
  // Once a connection is free again, pool.query works as before, prepared statements included.
  assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
  const named = { name: 'pool-test-select', text: 'SELECT $1::int AS n', values: [7] };
  assert.equal((await pool.query<{ n: number }>(named)).rows[0]?.n, 7);
  assert.equal((await pool.query<{ n: number }>(named)).rows[0]?.n, 7);
  await assert.rejects(pool.query('SELECT nope'), /nope/);
  assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
});
