/**
 * `saga show|retry` against a stand-in Order Service: a refused request surfaces the API's error code,
 * parsed from its `{"error":{"code","message"}}` body (the CLI once read a top-level `code` and printed the
 * raw body instead).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sagaCommand } from '../../src/saga/saga-cli.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const ORDER_ID = '825cf877-be3a-4b90-a75d-947b9f426888';
const REFUSAL = {
  error: { code: 'ORD_SAGA_NOT_FAILED', message: 'The saga is CANCELLED, not COMPENSATION_FAILED' },
};

/** The Authorization header of every request the stand-in received. */
const authorizations: Array<string | undefined> = [];

/** An HTTP server answering every request with `status` and `body`, closed after the test. */
async function answering(t: TestContext, status: number, body: unknown): Promise<string> {
  const server: Server = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('saga retry should fail with the code and message of the API error body', async (t) => {
  const url = await answering(t, 409, REFUSAL);
  await assert.rejects(
    sagaCommand().parseAsync(['retry', ORDER_ID, '--order-url', url, '--token', 'test-token'], { from: 'user' }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ORD_SAGA_NOT_FAILED');
      assert.equal(error.message, 'HTTP 409: The saga is CANCELLED, not COMPENSATION_FAILED');
      return true;
    },
  );
  // The retry is an operator action: the command presents the operator's token.
  assert.equal(authorizations.at(-1), 'Bearer test-token');
});

test('saga show should print the parsed code on stderr when the order does not exist', async (t) => {
  const url = await answering(t, 404, { error: { code: 'ORD_NOT_FOUND', message: `No order ${ORDER_ID}` } });
  const failed = await run(process.execPath, [
    CLI,
    'saga',
    'show',
    ORDER_ID,
    '--order-url',
    url,
    '--token',
    'test-token',
  ]).then(
    () => assert.fail('the command should fail'),
    (error: { stderr: string; code: number }) => error,
  );
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, `error [ORD_NOT_FOUND]: HTTP 404: No order ${ORDER_ID}\n`);
});

test('a refusal whose body is not an API error should be shown as it came, without a code', async (t) => {
  const url = await answering(t, 502, { message: 'bad gateway' });
  await assert.rejects(
    sagaCommand().parseAsync(['retry', ORDER_ID, '--order-url', url, '--token', 'test-token'], { from: 'user' }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, undefined);
      assert.equal(error.message, 'HTTP 502: {"message":"bad gateway"}');
      return true;
    },
  );
});
