/**
 * The operator's views across customers, on the real service (HTTP, PostgreSQL, Kafka): `GET /sagas/summary`
 * counts the sagas in every state, and `GET /orders?status=` / `?sagaState=` list the orders in a state of
 * every customer (or of one), newest first and paged. Both are an operator's: a customer is refused.
 * Nobody answers the saga's commands here, so every saga stays where the test puts it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createTestNamespace, customerToken, startTestService } from '@shop/test-support';
import { orderService } from '../../src/service.ts';
import { orderApi, orderBody } from '../support/order-api.ts';

/** Long enough that no step deadline passes (and re-sends) during the test. */
const NO_DEADLINE_MS = '600000';

test('an operator should count sagas by state and list orders by state across customers; a customer should not', async (t) => {
  const namespace = await createTestNamespace(t, 'test-order-states');
  const service = await startTestService(t, orderService, {
    namespace,
    env: { SAGA_STEP_TIMEOUT_MS: NO_DEADLINE_MS, SAGA_RESERVATION_TIMEOUT_MS: NO_DEADLINE_MS },
  });
  const api = orderApi(service.url);
  const alice = randomUUID();
  const bob = randomUUID();
  const place = async (customerId: string) => {
    const placed = await api.post('/orders', orderBody({ customerId }));
    assert.equal(placed.status, 202, JSON.stringify(placed.body));
    return placed.body.orderId as string;
  };
  // One at a time, so each is newer than the one before.
  const aliceFirst = await place(alice);
  const bobs = await place(bob);
  const aliceSecond = await place(alice);
  // Bob's saga parked, as the deadline scanner leaves one whose compensation went unanswered.
  await service.context.pool.query(
    "UPDATE order_sagas SET state = 'COMPENSATION_FAILED', resume_state = 'CANCELLING' WHERE order_id = $1",
    [bobs],
  );

  await t.test('GET /sagas/summary should name every state with its count', async () => {
    const summary = await api.get('/sagas/summary');
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    assert.equal(summary.headers.get('cache-control'), 'no-store');
    assert.deepEqual(summary.body.states, {
      RESERVING: 2,
      CHARGING: 0,
      CONFIRMED: 0,
      CANCELLING: 0,
      CANCELLED: 0,
      COMPENSATION_FAILED: 1,
    });
    assert.ok(!Number.isNaN(Date.parse(summary.body.at)));
  });

  await t.test('GET /orders?sagaState= and ?status= should list every customer’s orders in that state', async () => {
    const parked = await api.get('/orders?sagaState=COMPENSATION_FAILED');
    assert.equal(parked.status, 200, JSON.stringify(parked.body));
    assert.deepEqual(
      parked.body.orders.map((o: { orderId: string }) => o.orderId),
      [bobs],
    );
    const firstPage = await api.get('/orders?status=PENDING&limit=2');
    assert.deepEqual(
      firstPage.body.orders.map((o: { orderId: string }) => o.orderId),
      [aliceSecond, bobs],
      'newest first, across customers',
    );
    assert.equal(firstPage.body.nextBefore, bobs);
    const secondPage = await api.get(`/orders?status=PENDING&limit=2&before=${bobs}`);
    assert.deepEqual(
      secondPage.body.orders.map((o: { orderId: string }) => o.orderId),
      [aliceFirst],
    );
    assert.equal(secondPage.body.nextBefore, null);
    const alicesPending = await api.get(`/orders?status=PENDING&customerId=${alice}`);
    assert.deepEqual(
      alicesPending.body.orders.map((o: { orderId: string }) => o.orderId),
      [aliceSecond, aliceFirst],
      'one customer, when named',
    );
    assert.deepEqual((await api.get('/orders?status=CONFIRMED')).body.orders, []);
    const unknownCursor = await api.get(`/orders?status=PENDING&before=${randomUUID()}`);
    assert.equal(unknownCursor.status, 400);
    assert.equal(unknownCursor.body.error.code, 'ORD_UNKNOWN_CURSOR');
    const bogus = await api.get('/orders?status=LOST');
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.error.code, 'HTTP_VALIDATION_FAILED');
    // Without a customer or a state, an operator's listing still names what it lists.
    const unnamed = await api.get('/orders');
    assert.equal(unnamed.status, 400);
    assert.equal(unnamed.body.error.code, 'ORD_CUSTOMER_ID_REQUIRED');
  });

  await t.test('a customer should be refused both views (403 PLT_FORBIDDEN)', async () => {
    const asAlice = api.as(await customerToken(alice));
    for (const path of [
      '/sagas/summary',
      '/orders?status=PENDING',
      `/orders?sagaState=RESERVING&customerId=${alice}`,
    ]) {
      const answer = await asAlice.get(path);
      assert.equal(answer.status, 403, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'PLT_FORBIDDEN', path);
    }
    // Their own listing is unchanged.
    assert.equal((await asAlice.get('/orders')).body.orders.length, 2);
  });
});
