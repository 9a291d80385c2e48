import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/index.ts';

test("the router's own refusals should answer in the error body every other refusal uses, with their code", async (t) => {
  const app = await createHttpApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }) });
  app.get('/items/:id', async () => ({ ok: true }));
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
