import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { eventually } from '../src/eventually.ts';
import { LogRing } from '../src/log-ring.ts';

test('a log ring should keep the last lines whole, across writes that split them', async () => {
  const ring = new LogRing(3);
  const write = (text: string) => new Promise<void>((resolve) => ring.write(text, () => resolve()));
  await write('{"msg":"one"}\n{"msg":"tw');
  await write('o"}\n');
  for (const n of [3, 4, 5, 6, 7]) await write(`{"msg":"${n}"}\n`);
  assert.deepEqual(ring.tail(10), ['{"msg":"5"}', '{"msg":"6"}', '{"msg":"7"}']);
  assert.deepEqual(ring.tail(1), ['{"msg":"7"}']);
});

test('a wait that times out should end its message with the diagnosis, here the log lines of a pino logger', async () => {
  const ring = new LogRing();
  const logger = pino({ level: 'debug' }, ring);
  logger.warn({ topic: 'orders.retry-1' }, 'record failed');
  await assert.rejects(
    eventually(
      async () => undefined,
      150,
      'a reply',
      () => ring.tail().join('\n'),
    ),
    (error: Error) => {
      assert.match(error.message, /^Timed out after 150 ms waiting for a reply\n/);
      assert.match(error.message, /"topic":"orders\.retry-1".*"msg":"record failed"/);
      return true;
    },
  );
});
