import type { TestContext } from 'node:test';
import { createPool, databaseUrl, dropDatabase, ensureDatabase, type Pool } from '@shop/platform';
import { testPostgresUrl } from './infrastructure.ts';
import { uniqueName } from './unique-name.ts';

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
}

/** A fresh database, dropped after the test (pool closed first). */
export async function createTestDatabase(t: TestContext, prefix = 'test'): Promise<TestDatabase> {
  const serverUrl = await testPostgresUrl();
  const name = uniqueName(`t_${prefix}`, '_').toLowerCase();
  await ensureDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  const pool = createPool(url, { max: 5, applicationName: `test ${name}` });
  t.after(async () => {
    await pool.end().catch(() => {});
    await dropDatabase(serverUrl, name);
  });
  return { name, url, pool };
}
