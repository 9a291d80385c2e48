/**
 * Who may do what on the order API, on the real service (HTTP, PostgreSQL, Kafka): every route needs a
 * token; the customer is the token's subject; a customer sees, lists, long-polls and cancels only their own
 * orders (another customer's is 404, exactly as a missing one); saga retry is an operator's; POST /orders is
 * rate limited per customer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { dropDatabase, startService } from '@shop/platform';
import {
  createTestNamespace,
  customerToken,
  operatorToken,
  serviceToken,
  testBootstrapServers,
  testKafkaSecurityEnv,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import { orderService } from '../../src/service.ts';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

const RATE_LIMIT = 3;

test('order API access', async (t) => {
  const { api, inventory, service } = await startOrderStack(t, {
    ORDER_RATE_LIMIT_MAX: String(RATE_LIMIT),
    ORDER_RATE_LIMIT_WINDOW_MS: '60000',
  });
  const { pool } = service.context;
  const alice = randomUUID();
  const bob = randomUUID();
  const asAlice = api.as(await customerToken(alice));
  const asBob = api.as(await customerToken(bob));
  const asOperator = api.as(await operatorToken());
  const anonymous = api.as(undefined);
  const { customerId: _unused, ...body } = orderBody();
  const placedByBob = await asBob.post('/orders', body);
  assert.equal(placedByBob.status, 202, JSON.stringify(placedByBob.body));
  const bobsOrder = placedByBob.body.orderId as string;
  await inventory.placed(bobsOrder);

  await t.test(
    'every order route should answer 401 PLT_UNAUTHENTICATED with a Bearer challenge without a token',
    async () => {
      const answers = [
        await anonymous.post('/orders', body),
        await anonymous.get(`/orders/${bobsOrder}`),
        await anonymous.get(`/orders?customerId=${bob}`),
        await anonymous.post(`/orders/${bobsOrder}/cancel`, undefined),
        await anonymous.post(`/sagas/${bobsOrder}/retry`, undefined),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 401, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, 'PLT_UNAUTHENTICATED');
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      }
      const forged = await anonymous.get(`/orders/${bobsOrder}`, { authorization: 'Bearer not.a.token' });
      assert.equal(forged.status, 401);
      assert.equal(forged.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      // The probes stay open.
      assert.equal((await anonymous.get('/health')).status, 200);
    },
  );

  await t.test(
    'the customer of an order should be the token’s subject; a customerId in the body is refused',
    async () => {
      const placed = await asAlice.post('/orders', body);
      assert.equal(placed.status, 202);
      const { rows } = await pool.query('SELECT customer_id FROM orders WHERE id = $1', [placed.body.orderId]);
      assert.deepEqual(rows, [{ customer_id: alice }]);

      const naming = await asAlice.post('/orders', { ...body, customerId: bob });
      assert.equal(naming.status, 400);
      assert.equal(naming.body.error.code, 'HTTP_VALIDATION_FAILED');
      assert.ok(
        naming.body.error.details.some(
          (d: { params?: { additionalProperty?: string } }) => d.params?.additionalProperty === 'customerId',
        ),
        JSON.stringify(naming.body),
      );
      const ofBob = await pool.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [bob]);
      assert.equal(ofBob.rows[0].n, 1, 'nothing placed in the name of the customer the body named');
    },
  );

  await t.test("a customer should not see, long-poll, list or cancel another customer's order", async () => {
    const seen = await asAlice.get(`/orders/${bobsOrder}`);
    assert.equal(seen.status, 404);
    assert.equal(seen.body.error.code, 'ORD_NOT_FOUND');
    const polled = await asAlice.get(`/orders/${bobsOrder}?wait=5`);
    assert.equal(polled.status, 404);
    assert.ok(polled.elapsedMs < 2_000, `answered at once, not after the wait (${polled.elapsedMs} ms)`);

    const listed = await asAlice.get(`/orders?customerId=${bob}`);
    assert.deepEqual(listed.body, { orders: [], nextBefore: null });
    const own = await asAlice.get('/orders');
    assert.equal(own.status, 200);
    assert.ok(own.body.orders.length >= 1);
    for (const order of own.body.orders) assert.equal(order.customerId, alice);

    const cancel = await asAlice.post(`/orders/${bobsOrder}/cancel`, undefined);
    assert.equal(cancel.status, 404);
    assert.equal(cancel.body.error.code, 'ORD_NOT_FOUND');
    const saga = await pool.query('SELECT cancel_requested_at FROM order_sagas WHERE order_id = $1', [bobsOrder]);
    assert.deepEqual(saga.rows, [{ cancel_requested_at: null }], "Bob's order was not cancelled");

    // Bob himself sees and cancels it.
    assert.equal((await asBob.get(`/orders/${bobsOrder}`)).body.customerId, bob);
    const byBob = await asBob.post(`/orders/${bobsOrder}/cancel`, undefined);
    assert.ok([200, 202].includes(byBob.status), JSON.stringify(byBob.body));
  });

  await t.test('an operator should read any order and list any customer’s, but place none', async () => {
    assert.equal((await asOperator.get(`/orders/${bobsOrder}`)).status, 200);
    const listed = await asOperator.get(`/orders?customerId=${bob}`);
    assert.deepEqual(
      listed.body.orders.map((order: { orderId: string }) => order.orderId),
      [bobsOrder],
    );
    const unnamed = await asOperator.get('/orders');
    assert.equal(unnamed.status, 400);
    assert.equal(unnamed.body.error.code, 'ORD_CUSTOMER_ID_REQUIRED');
    const placed = await asOperator.post('/orders', body);
    assert.equal(placed.status, 403);
    assert.equal(placed.body.error.code, 'PLT_FORBIDDEN');
  });

  await t.test('saga retry should be an operator’s: a customer or a service gets 403', async () => {
    for (const token of [await customerToken(bob), await serviceToken()]) {
      const refused = await api.as(token).post(`/sagas/${bobsOrder}/retry`, undefined);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'PLT_FORBIDDEN');
    }
    // Allowed through: the saga is not COMPENSATION_FAILED, which is the route's own answer.
    const retried = await asOperator.post(`/sagas/${bobsOrder}/retry`, undefined);
    assert.equal(retried.status, 409);
    assert.equal(retried.body.error.code, 'ORD_SAGA_NOT_FAILED');
  });

  await t.test(
    'POST /orders past the limit per customer should answer 429 ORD_RATE_LIMITED with Retry-After',
    async () => {
      const carol = api.as(await customerToken(randomUUID()));
      for (let index = 0; index < RATE_LIMIT; index++) assert.equal((await carol.post('/orders', body)).status, 202);
      const limited = await carol.post('/orders', body);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'ORD_RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
      // Another customer's allowance is their own.
      assert.equal((await api.as(await customerToken(randomUUID())).post('/orders', body)).status, 202);
    },
  );
});

test('the REST reservation mode should refuse to start with a JWKS but no service token to call Inventory with', async (t) => {
  const namespace = await createTestNamespace(t, 'test-order-auth');
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_orders_auth', '_').toLowerCase();
  t.after(() => dropDatabase(serverUrl, databaseName));
  await assert.rejects(
    startService(orderService, {
      KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
      DATABASE_URL: serverUrl,
      DATABASE_NAME: databaseName,
      KAFKA_NAMESPACE: namespace.prefix,
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...testKafkaSecurityEnv(),
      AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json',
      AUTH_JWT_ISSUER: 'https://issuer.example/',
      AUTH_JWT_AUDIENCE: 'shop-api',
      ORDER_RESERVATION_MODE: 'rest',
    }),
    (error: Error & { code?: string }) => error.code === 'PLT_CONFIG_INVALID' && /credential/.test(error.message),
  );
});
