import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { bearer, customerToken, operatorToken } from '@shop/test-support';
import { startHarness, waitForSent } from '../support/harness.ts';

/** As an operator: the only caller allowed to read recipients. */
const asOperator = async () => ({ headers: bearer(await operatorToken()) });

import { orderCancelled } from '../support/outcome-events.ts';

test('GET /notifications should answer 400 with a stable code when orderId is missing, not a UUID, or joined by unknown parameters', async (t) => {
  const { service } = await startHarness(t);
  for (const query of [
    '',
    '?orderId=',
    '?orderId=42',
    `?orderId=${randomUUID()}x`,
    `?orderId=${randomUUID()}&limit=5`,
  ]) {
    const response = await fetch(`${service.url}/notifications${query}`, await asOperator());
    assert.equal(response.status, 400, `400 for "${query}"`);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'HTTP_VALIDATION_FAILED', `code for "${query}"`);
  }
});

test('GET /notifications should list an order’s notifications whatever the letter case of its id, and none for an unknown order', async (t) => {
  const { service, publish } = await startHarness(t);
  const event = orderCancelled();
  await publish(event);
  await waitForSent(service, event.payload.orderId, 1);

  const response = await fetch(
    `${service.url}/notifications?orderId=${event.payload.orderId.toUpperCase()}`,
    await asOperator(),
  );
  assert.equal(response.status, 200);
  const body = (await response.json()) as { orderId: string; notifications: Array<Record<string, unknown>> };
  assert.equal(body.orderId, event.payload.orderId);
  assert.equal(body.notifications.length, 1);
  assert.deepEqual(Object.keys(body.notifications[0] ?? {}).sort(), [
    'attempts',
    'body',
    'channel',
    'contactErasedAt',
    'correlationId',
    'createdAt',
    'eventId',
    'idempotencyKey',
    'lastError',
    'orderId',
    'outcome',
    'provider',
    'providerMessageId',
    'recipient',
    'sentAt',
    'status',
    'subject',
    'updatedAt',
  ]);

  const unknown = await fetch(`${service.url}/notifications?orderId=${randomUUID()}`, await asOperator());
  assert.equal(unknown.status, 200);
  assert.deepEqual(((await unknown.json()) as { notifications: unknown[] }).notifications, []);
});

test('GET /notifications should serve recipients to operators only: 401 without a token, 403 for a customer', async (t) => {
  const { service, publish } = await startHarness(t);
  const event = orderCancelled();
  await publish(event);
  await waitForSent(service, event.payload.orderId, 1);
  const url = `${service.url}/notifications?orderId=${event.payload.orderId}`;

  const anonymous = await fetch(url);
  assert.equal(anonymous.status, 401);
  const anonymousBody = await anonymous.text();
  assert.equal(JSON.parse(anonymousBody).error.code, 'PLT_UNAUTHENTICATED');
  const customer = await fetch(url, { headers: bearer(await customerToken(randomUUID())) });
  assert.equal(customer.status, 403);
  const customerBody = await customer.text();
  assert.equal(JSON.parse(customerBody).error.code, 'PLT_FORBIDDEN');
  for (const body of [anonymousBody, customerBody]) {
    assert.equal(body.includes('@'), false, 'no recipient in a refusal');
  }
  assert.equal((await fetch(url, await asOperator())).status, 200);
});
