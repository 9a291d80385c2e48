import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../src/logger.ts';
import { createShutdown } from '../src/shutdown.ts';

const silent = createLogger({ service: 'test', level: 'silent' });

test('shutdown should run closers once, in reverse registration order, even when one fails', async () => {
  const order: string[] = [];
  const shutdown = createShutdown({ logger: silent });
  shutdown.register('pool', () => {
    order.push('pool');
  });
  shutdown.register('consumer', () => {
    order.push('consumer');
    throw new Error('close failed');
  });
  shutdown.register('http', async () => {
    order.push('http');
  });
  await Promise.all([shutdown.run('test'), shutdown.run('again')]);
  assert.deepEqual(order, ['http', 'consumer', 'pool']);
});

test('shutdown should give up after its timeout instead of hanging', async () => {
  const shutdown = createShutdown({ logger: silent, timeoutMs: 50 });
  shutdown.register('stuck', () => new Promise<void>(() => {}));
  const started = Date.now();
  await shutdown.run('test');
  assert.ok(Date.now() - started < 1_000);
});

test('logger should add the service name and the ids of the current log context to every line', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const { withLogContext } = await import('../src/logger.ts');
  const logger = createLogger({ service: 'order-service', destination });
  await withLogContext({ correlationId: 'c-1' }, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    withLogContext({ causationId: 'e-9' }, () => logger.info('inside'));
  });
  logger.info('outside');
  const [inside, outside] = lines.map((line) => JSON.parse(line));
  assert.equal(inside.service, 'order-service');
  assert.equal(inside.correlationId, 'c-1');
  assert.equal(inside.causationId, 'e-9');
  assert.equal(outside.correlationId, undefined);
});
