import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { testBootstrapServers, testPostgresUrl } from '@shop/test-support';
import { kafkaProblem, postgresProblem } from '../../scripts/scenarios/require-infrastructure.ts';

/** A loopback port nothing listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

test('a scenario without a broker should be told, within seconds, how to start one', async () => {
  const servers = [`127.0.0.1:${await unusedPort()}`];
  const started = Date.now();
  const problem = await kafkaProblem(servers, 2_000);
  assert.ok(Date.now() - started < 5_000, 'fails fast');
  assert.match(problem ?? '', new RegExp(`^Kafka is not reachable at ${servers[0]} \\(`));
  assert.match(problem ?? '', /start it with `npm run kafka:start` \(or `npm start`\)/);
});

test('a scenario without PostgreSQL should be told how to start it', async () => {
  const problem = await postgresProblem(`postgres://postgres@127.0.0.1:${await unusedPort()}`, 2_000);
  assert.match(
    problem ?? '',
    /^PostgreSQL is not reachable at postgres:\/\/postgres@127\.0\.0\.1:\d+.*; Start PostgreSQL/,
  );
});

test('the check should pass on the running broker and database', async () => {
  assert.equal(await kafkaProblem(await testBootstrapServers()), undefined);
  assert.equal(await postgresProblem(await testPostgresUrl()), undefined);
});
