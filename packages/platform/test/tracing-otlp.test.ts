import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { loadEnv } from '../src/config.ts';
import { serviceTracer, startTracing, stopTracing, TracingEnvSchema, tracingSettings } from '../src/tracing.ts';

test('an OTLP endpoint in OTEL_EXPORTER_OTLP_ENDPOINT should receive the spans over OTLP/HTTP protobuf', async (t) => {
  const received: Array<{ url: string | undefined; type: string | undefined; body: Buffer }> = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url, type: request.headers['content-type'], body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;

  const env = loadEnv(TracingEnvSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
  assert.equal(startTracing({ settings: tracingSettings(env, 'order-service') }), true);
  t.after(() => stopTracing());
  serviceTracer('order-service')?.startSpan('POST /orders').end();
  // stopTracing flushes the batch processor, so the export has been answered when it resolves.
  await stopTracing();

  assert.equal(received.length, 1);
  assert.equal(received[0]?.url, '/v1/traces');
  assert.equal(received[0]?.type, 'application/x-protobuf');
  // The protobuf carries the span's name and the resource's service name as plain strings.
  assert.ok(received[0]?.body.includes('POST /orders'));
  assert.ok(received[0]?.body.includes('order-service'));
});
