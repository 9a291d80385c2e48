import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HttpClient, parseResponse } from '../../src/load/http-client.ts';

test('a response should be complete only once its Content-Length bytes arrived', () => {
  const head = 'HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\nContent-Length: 11\r\n\r\n';
  assert.equal(parseResponse(Buffer.from(`${head}{"a":`)), undefined);
  const response = parseResponse(Buffer.from(`${head}{"a":"äb"}`));
  assert.equal(response?.status, 202);
  assert.equal(response?.body, '{"a":"äb"}');
});

test('a chunked response should be decoded once its last chunk arrived', () => {
  const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  assert.equal(parseResponse(Buffer.from(`${head}3\r\nabc\r\n`)), undefined);
  assert.equal(parseResponse(Buffer.from(`${head}3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`))?.body, 'abcde');
});

test('the client should reuse keep-alive connections and survive the server closing an idle one', async (t) => {
  const seen: Array<{ method?: string; url?: string; body: string; socket: number }> = [];
  const sockets = new Map<object, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size);
      seen.push({
        method: req.method,
        url: req.url,
        body: Buffer.concat(chunks).toString(),
        socket: sockets.get(req.socket) ?? -1,
      });
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end(JSON.stringify({ ok: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 5_000);
  t.after(() => {
    client.close();
    server.close();
  });

  const first = await client.request('POST', '/orders', 'content-type: application/json\r\n', '{"x":1}');
  assert.deepEqual([first.status, first.body], [200, '{"ok":"/orders"}']);
  await client.request('GET', '/orders/1?wait=1');
  assert.deepEqual(
    seen.map((s) => [s.method, s.url, s.body, s.socket]),
    [
      ['POST', '/orders', '{"x":1}', 0],
      ['GET', '/orders/1?wait=1', '', 0],
    ],
  );
  // "connection: close" ends that connection; the next request opens another.
  await client.request('GET', '/close');
  assert.equal((await client.request('GET', '/after')).body, '{"ok":"/after"}');
  assert.equal(seen.at(-1)?.socket, 1);
  // The server drops its idle keep-alive connections: the next request still gets through.
  server.closeIdleConnections();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await client.request('GET', '/again')).body, '{"ok":"/again"}');
});

test('a request with no answer should fail with a TimeoutError', async (t) => {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 300);
  t.after(() => {
    client.close();
    server.closeAllConnections();
    server.close();
  });
  await assert.rejects(client.request('GET', '/hang'), { name: 'TimeoutError' });
});
