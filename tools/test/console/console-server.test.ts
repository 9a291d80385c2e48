/**
 * The console server's own answers, over HTTP on the real broker, with every service down: a stream's
 * snapshot marks the service unavailable instead of failing, bad parameters are CON_INVALID_INPUT, unknown
 * API routes CON_NOT_FOUND, and the front end's files are served from the web root only (any other path is
 * the page, so the browser's router takes it).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaNamespace } from '@shop/platform';
import { createTestDatabase, TEST_AUTH_SECRET, testKafkaConnection, testPostgresUrl } from '@shop/test-support';
import { createConsoleServer } from '../../src/console/console-server.ts';
import type { ReplayHistory } from '../../src/console/contracts.ts';
import { signedCredentials } from '../../src/console/service-client.ts';
import { ReplayAudit } from '../../src/dlt/dlt-audit.ts';

const DOWN = 'http://127.0.0.1:1';

test('the console answers with its own codes, marks a service that is down, and serves only its web root', async (t) => {
  const webRoot = await mkdtemp(join(tmpdir(), 'console-root-'));
  t.after(() => rm(webRoot, { recursive: true, force: true }));
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(webRoot, 'assets', 'app.js'), 'export {};');
  const namespace = kafkaNamespace('console-unit');
  const app = await createConsoleServer({
    credentials: signedCredentials(TEST_AUTH_SECRET),
    services: { order: DOWN, inventory: DOWN, payment: DOWN, notification: DOWN },
    kafka: { connection: await testKafkaConnection('console-unit'), namespace, groups: [] },
    deadLetters: { databaseUrl: await testPostgresUrl() },
    webRoot,
    pollIntervalMs: 500,
    lagWindowSamples: 10,
  });
  t.after(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });

  const json = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${url}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  assert.deepEqual((await json('/api/orders?customerId=nope')).status, 400);
  assert.deepEqual((await json('/api/orders?customerId=nope')).body, {
    error: { code: 'CON_INVALID_INPUT', message: 'customerId is a UUID' },
  });
  // Listing by state: its shape checked here (the names are the Order Service's), and something must be named.
  assert.equal((await json('/api/orders?status=pending;drop')).status, 400);
  assert.deepEqual((await json('/api/orders')).body, {
    error: { code: 'CON_INVALID_INPUT', message: 'Name a customerId (a UUID), a status or a sagaState' },
  });
  const byState = await json('/api/orders?sagaState=COMPENSATION_FAILED');
  assert.equal(byState.status, 200, 'passed on to the Order Service, which is down here');
  assert.equal((byState.body.error as { code: string }).code, 'CON_SERVICE_UNAVAILABLE');
  assert.equal(((await json('/api/nothing')).body.error as { code: string }).code, 'CON_NOT_FOUND');
  // An action on a service that is down is an answer (the browser logs no failed request), with the reason.
  const cancel = await json('/api/orders/6f1c1f8e-8f7e-4a57-9d3b-2f0a4c8e1d11/cancel', { method: 'POST' });
  assert.equal(cancel.status, 200);
  assert.equal(cancel.body.ok, false);
  assert.equal((cancel.body.error as { code: string }).code, 'CON_SERVICE_UNAVAILABLE');

  // The stock stream's first snapshot: the Inventory Service is down, said so in the data.
  const controller = new AbortController();
  const stream = await fetch(`${url}/api/stream/stock`, { signal: controller.signal });
  assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = stream.body?.getReader();
  let text = '';
  while (!text.includes('\n\n') && reader !== undefined) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
  }
  controller.abort();
  const snapshot = JSON.parse(text.replace(/^data: /, '').trim()) as {
    products: { ok: boolean; error: { code: string } };
  };
  assert.equal(snapshot.products.ok, false);
  assert.equal(snapshot.products.error.code, 'CON_SERVICE_UNAVAILABLE');

  // Files: the asset, the page for any route, and never a file outside the root.
  const asset = await fetch(`${url}/assets/app.js`);
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(await asset.text(), 'export {};');
  assert.match(await (await fetch(`${url}/orders/anything`)).text(), /<title>console<\/title>/);
  for (const outside of [
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/..%2f..%2f..%2fetc/hosts',
  ]) {
    const response = await fetch(`${url}${outside}`);
    const body = await response.text();
    assert.doesNotMatch(body, /root:|localhost/, outside);
  }
  // A malformed escape is refused (by Fastify's router or the file handler), never a server error.
  const malformed = (await fetch(`${url}/%E0%A4%A`)).status;
  assert.ok(malformed === 400 || malformed === 404, `malformed path answered ${malformed}`);
});

test("the replay history lists the namespace's runs from the dlt audit, newest first, with rate and summary", async (t) => {
  const audit = await createTestDatabase(t, 'console_history');
  const namespace = kafkaNamespace('console-history');
  const webRoot = await mkdtemp(join(tmpdir(), 'console-root-'));
  t.after(() => rm(webRoot, { recursive: true, force: true }));
  const app = await createConsoleServer({
    credentials: signedCredentials(TEST_AUTH_SECRET),
    services: { order: DOWN, inventory: DOWN, payment: DOWN, notification: DOWN },
    kafka: { connection: await testKafkaConnection('console-history'), namespace, groups: [] },
    deadLetters: { databaseUrl: await testPostgresUrl(), auditDatabase: audit.name },
    webRoot,
    pollIntervalMs: 500,
    lagWindowSamples: 10,
  });
  t.after(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const history = async (query = '') => {
    const response = await fetch(`${url}/api/dead-letters/replays${query}`);
    return { status: response.status, body: (await response.json()) as ReplayHistory };
  };
  // Empty before any run (the audit's database is created and migrated on first read).
  assert.deepEqual((await history()).body, { runs: { ok: true, value: [] } });

  // Written as `dlt replay` writes them: a finished run, one under way, and one of another namespace.
  const writer = await ReplayAudit.open(await testPostgresUrl(), audit.name);
  t.after(() => writer.close());
  const run = (runId: string, ns: string, ratePerSecond: number) => ({
    runId,
    operator: 'alice',
    namespace: ns,
    filters: 'consumers=reserveStock code=CTR_NOT_JSON',
    target: 'retry',
    maxReplays: 3,
    forced: false,
    ratePerSecond,
  });
  const finished = randomUUID();
  const running = randomUUID();
  await writer.startRun(run(finished, namespace.prefix, 5));
  await writer.finishRun(finished, { matched: 4, replayed: 2, parked: 1, skipped: 1, failed: 0 });
  await writer.startRun(run(running, namespace.prefix, 0.5));
  await writer.startRun(run(randomUUID(), 'another-namespace', 10));

  const { status, body } = await history();
  assert.equal(status, 200);
  assert.ok(body.runs.ok, JSON.stringify(body));
  assert.deepEqual(
    body.runs.value.map((r) => [r.runId, r.operator, r.ratePerSecond, r.summary, r.finishedAt === null]),
    [
      [running, 'alice', 0.5, null, true],
      [finished, 'alice', 5, { matched: 4, replayed: 2, parked: 1, skipped: 1, failed: 0 }, false],
    ],
    'newest first, this namespace only',
  );
  assert.equal(body.runs.value[1]?.filters, 'consumers=reserveStock code=CTR_NOT_JSON');
  const limited = await history('?limit=1');
  assert.deepEqual(limited.body.runs.ok && limited.body.runs.value.map((r) => r.runId), [running]);
  assert.equal((await history('?limit=0')).status, 400);
  assert.equal((await history('?limit=abc')).status, 400);
});
