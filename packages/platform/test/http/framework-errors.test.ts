import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createHttpApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/index.ts';

test("the router's own refusals should answer in the error body every other refusal uses, with their code", async (t) => {
  const app = await createHttpApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }) });
  app.get('/items/:id', { config: { access: 'public' } }, async () => ({ ok: true }));
  await app.ready();
  t.after(() => app.close());

  const tooLong = await app.inject({ method: 'GET', url: `/items/${'x'.repeat(500)}` });
  assert.equal(tooLong.statusCode, 414);
  assert.equal(tooLong.json().error.code, 'FST_ERR_MAX_PARAM_LENGTH');
  assert.equal(typeof tooLong.json().error.message, 'string');

  const badEncoding = await app.inject({ method: 'GET', url: '/items/%zz' });
  assert.equal(badEncoding.statusCode, 400);
  assert.equal(badEncoding.json().error.code, 'FST_ERR_BAD_URL');
});

/** Sends raw bytes to `port` and returns the whole answer (the server closes the connection). */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

// Regression (found by the HTTP fuzz suite over a socket): headers over the parser's limit were answered by
// Fastify's own handler, {"error":"Request Header Fields Too Large",...}, without a code of ours.
test('what the HTTP parser refuses should answer in the error body with an HTTP_ code', async (t) => {
  const app = await createHttpApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }) });
  app.get('/items', { config: { access: 'public' } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const { port } = app.server.address() as AddressInfo;

  const huge = await rawRequest(port, `GET /items HTTP/1.1\r\nhost: x\r\nx-junk: ${'x'.repeat(20_000)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.deepEqual(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).error.code, 'HTTP_HEADERS_TOO_LARGE');

  const malformed = await rawRequest(port, 'GET /items HTTP/1.1\r\nno colon here\r\n\r\n');
  assert.match(malformed, /^HTTP\/1\.1 400 /);
  assert.deepEqual(JSON.parse(malformed.slice(malformed.indexOf('\r\n\r\n') + 4)).error.code, 'HTTP_BAD_REQUEST');
});
