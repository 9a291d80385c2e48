import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../src/index.ts';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ service: 'test', level: 'debug', destination: stream }), lines };
}

test('contact data should be redacted wherever a log line carries it, by field or inside a text', () => {
  const { logger, lines } = capture();
  const contact = { email: 'ada@example.com', phone: '+441632960961' };
  logger.info({ contact }, 'the contact itself');
  logger.info({ payload: { orderId: 'o-1', contact } }, 'an event payload');
  logger.info({ request: { body: { contact } } }, 'a request body');
  logger.info({ email: contact.email, recipient: contact.phone }, 'fields of the logged object');
  logger.warn({ err: new Error(`550 mailbox ada@example.com unavailable; sms to +441632960961 failed`) }, 'an error');
  logger.info(`sending to ada@example.com`);
  assert.equal(lines.length, 6);
  for (const line of lines) {
    assert.doesNotMatch(line, /ada@example\.com|441632960961/, line);
  }
  assert.equal(JSON.parse(lines[1] ?? '{}').payload.orderId, 'o-1', 'the rest of the object is kept');
  assert.equal(JSON.parse(lines[0] ?? '{}').contact, '[redacted]');
});
