/**
 * The order API on the real service (HTTP, PostgreSQL, Kafka): placement, validation, idempotency, reads
 * and listing. Settlement is covered in test/events/order-saga-consumer.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_LINE } from '@shop/contracts/values';
import { DEFAULT_BODY_LIMIT_BYTES } from '@shop/platform';
import { MAX_WAIT_SECONDS } from '../../src/api/await-settlement.ts';
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_PAGE_SIZE } from '../../src/api/order-schemas.ts';
import { PENDING_MESSAGE } from '../../src/domain/order.ts';
import { orderBody } from '../support/order-api.ts';
import { startOrderStack } from '../support/order-stack.ts';

test('the order API', async (t) => {
  const { api, inventory, service } = await startOrderStack(t);
  const { pool } = service.context;
  const countOrders = async () => Number((await pool.query('SELECT count(*) AS n FROM orders')).rows[0].n);

  await t.test(
    'POST /orders should answer 202 with Location and publish OrderPlaced with exactly the lines, no contact',
    async () => {
      const body = orderBody();
      const response = await api.post('/orders', body);
      assert.equal(response.status, 202);
      const { orderId } = response.body;
      assert.deepEqual(response.body, { orderId, status: 'PENDING' });
      assert.match(orderId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(response.headers.get('location'), `/orders/${orderId}`);

      const placed = await inventory.placed(orderId);
      assert.deepEqual(placed.event.payload, { orderId, lines: body.items });
      assert.equal(placed.key, orderId, 'keyed by order id');
      assert.equal(placed.meta.correlationId, orderId, 'a new flow correlated by the order id');
      assert.equal(placed.meta.producer, 'order-service');
      for (const personal of [body.contact.email, body.contact.phone, body.customerId]) {
        assert.equal(placed.value.includes(personal), false, `OrderPlaced must not carry ${personal}`);
      }

      const { rows } = await pool.query(
        'SELECT status, customer_id, lines, contact, settled_at FROM orders WHERE id = $1',
        [orderId],
      );
      assert.deepEqual(rows, [
        { status: 'PENDING', customer_id: body.customerId, lines: body.items, contact: body.contact, settled_at: null },
      ]);
      const saga = await pool.query(
        'SELECT s.state, st.step, st.status, st.request_event_id FROM order_sagas s JOIN order_saga_steps st USING (order_id) WHERE order_id = $1',
        [orderId],
      );
      assert.deepEqual(saga.rows, [
        { state: 'RESERVING', step: 'RESERVE_STOCK', status: 'STARTED', request_event_id: placed.meta.eventId },
      ]);
    },
  );

  await t.test('GET /orders/{id} of a pending order should say it is being confirmed, with Retry-After', async () => {
    const body = orderBody();
    const { orderId } = (await api.post('/orders', body)).body;
    const response = await api.get(`/orders/${orderId}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const { createdAt, updatedAt, saga, ...rest } = response.body;
    assert.deepEqual(rest, {
      orderId,
      customerId: body.customerId,
      status: 'PENDING',
      items: body.items,
      message: PENDING_MESSAGE,
    });
    assert.ok(Date.parse(createdAt) <= Date.parse(updatedAt));
    assert.equal(saga.state, 'RESERVING');
    assert.equal(saga.steps.length, 1);
    const [reserving] = saga.steps;
    assert.deepEqual(
      [reserving.step, reserving.attempt, reserving.status, reserving.finishedAt],
      ['RESERVE_STOCK', 1, 'STARTED', null],
    );
    assert.ok(Date.parse(reserving.deadlineAt) > Date.parse(reserving.startedAt), 'the reply is due later');
    assert.equal(JSON.stringify(response.body).includes(body.contact.email), false, 'no contact over HTTP');
    const upper = await api.get(`/orders/${orderId.toUpperCase()}`);
    assert.equal(upper.body.orderId, orderId, 'an id in upper case names the same order');
  });

  await t.test('GET /orders/{id} should read the order and its saga with one statement', async () => {
    const { orderId } = (await api.post('/orders', orderBody())).body;
    // Statements naming this order, by itself or in an array (reads are batched: a lone read is an array of
    // one), other than the background work that also names orders in arrays (the saga and the relay).
    const reads: string[] = [];
    const names = (value: unknown) => value === orderId || (Array.isArray(value) && value.includes(orderId));
    const wrapped = new WeakSet<object>();
    const count = (client: { query: (...args: unknown[]) => unknown }) => {
      if (wrapped.has(client)) return;
      wrapped.add(client);
      const query = client.query;
      client.query = (...args: unknown[]) => {
        const config = args[0] as string | { text: string; values?: unknown[] };
        const values = typeof config === 'string' ? args[1] : config.values;
        const text = typeof config === 'string' ? config : config.text;
        if (Array.isArray(values) && values.some(names) && /FROM orders o\b/.test(text)) reads.push(text);
        return query.apply(client, args);
      };
    };
    pool.on('acquire', count);
    try {
      const response = await api.get(`/orders/${orderId}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.saga.state, 'RESERVING');
    } finally {
      pool.off('acquire', count);
    }
    assert.equal(reads.length, 1, `one statement, not ${reads.length}: ${reads.join(' | ')}`);
  });

  await t.test('POST /orders should merge lines naming the same SKU and store the phone in E.164', async () => {
    const body = orderBody({
      items: [
        { sku: 'MUG-RED', quantity: 2 },
        { sku: 'TEE-M-BLK', quantity: 1 },
        { sku: 'MUG-RED', quantity: 3 },
      ],
      contact: { email: 'ada@example.com', phone: '+44 (1632) 960-961' },
    });
    const { orderId } = (await api.post('/orders', body)).body;
    const placed = await inventory.placed(orderId);
    assert.deepEqual(placed.event.payload.lines, [
      { sku: 'MUG-RED', quantity: 5 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ]);
    const { rows } = await pool.query('SELECT contact FROM orders WHERE id = $1', [orderId]);
    assert.deepEqual(rows[0].contact, { email: 'ada@example.com', phone: '+441632960961' });
  });

  await t.test('POST /orders should refuse invalid orders with a stable code and create nothing', async () => {
    const item = { sku: 'MUG-RED', quantity: 1 };
    const lines = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ sku: `SKU-${index}`, quantity: 1 }));
    const cases: Array<[string, unknown, number, string]> = [
      ['an unknown top-level field', { ...orderBody(), coupon: 'FREE' }, 400, 'HTTP_VALIDATION_FAILED'],
      ['an unknown line field', orderBody({ items: [{ ...item, price: 1 }] }), 400, 'HTTP_VALIDATION_FAILED'],
      [
        'an unknown contact field',
        orderBody({ contact: { email: 'a@example.com', fax: '1' } }),
        400,
        'HTTP_VALIDATION_FAILED',
      ],
      ['no lines', orderBody({ items: [] }), 400, 'HTTP_VALIDATION_FAILED'],
      [
        `${MAX_LINES_PER_ORDER + 1} lines`,
        orderBody({ items: lines(MAX_LINES_PER_ORDER + 1) }),
        400,
        'HTTP_VALIDATION_FAILED',
      ],
      ['quantity 0', orderBody({ items: [{ sku: 'MUG-RED', quantity: 0 }] }), 400, 'HTTP_VALIDATION_FAILED'],
      ['quantity -1', orderBody({ items: [{ sku: 'MUG-RED', quantity: -1 }] }), 400, 'HTTP_VALIDATION_FAILED'],
      ['quantity 1.5', orderBody({ items: [{ sku: 'MUG-RED', quantity: 1.5 }] }), 400, 'HTTP_VALIDATION_FAILED'],
      ['quantity as text', orderBody({ items: [{ sku: 'MUG-RED', quantity: '1' }] }), 400, 'HTTP_VALIDATION_FAILED'],
      [
        'quantity over the maximum',
        orderBody({ items: [{ sku: 'MUG-RED', quantity: MAX_QUANTITY_PER_LINE + 1 }] }),
        400,
        'HTTP_VALIDATION_FAILED',
      ],
      [
        'merged lines over the maximum',
        orderBody({ items: [{ sku: 'MUG-RED', quantity: MAX_QUANTITY_PER_LINE }, item] }),
        400,
        'ORD_LINE_QUANTITY_TOO_LARGE',
      ],
      ['a SKU with spaces', orderBody({ items: [{ sku: 'MUG RED', quantity: 1 }] }), 400, 'HTTP_VALIDATION_FAILED'],
      // The customer id is the token's subject (order-api.ts): one that is not a customer id is refused.
      ['a token whose subject is not a UUID', orderBody({ customerId: 'customer-1' }), 403, 'PLT_FORBIDDEN'],
      ['no contact', { customerId: randomUUID(), items: [item] }, 400, 'HTTP_VALIDATION_FAILED'],
      ['a bad e-mail', orderBody({ contact: { email: 'not-an-email' } }), 400, 'HTTP_VALIDATION_FAILED'],
      [
        "an e-mail only ajv's format accepts (a 70-character domain label)",
        orderBody({ contact: { email: `ada@${'x'.repeat(70)}.com` } }),
        400,
        'ORD_INVALID_CONTACT',
      ],
      [
        'a phone with letters',
        orderBody({ contact: { email: 'a@example.com', phone: 'call me' } }),
        400,
        'HTTP_VALIDATION_FAILED',
      ],
      [
        'a phone without country code',
        orderBody({ contact: { email: 'a@example.com', phone: '01632 960961' } }),
        400,
        'ORD_INVALID_PHONE',
      ],
      ['an array body', [orderBody()], 400, 'HTTP_VALIDATION_FAILED'],
    ];
    const before = await countOrders();
    for (const [what, body, status, code] of cases) {
      const response = await api.post('/orders', body);
      assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, what);
      assert.equal(typeof response.body.error.message, 'string', what);
    }
    const tooLong = await api.post('/orders', orderBody(), {
      'idempotency-key': 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1),
    });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.code, 'HTTP_VALIDATION_FAILED');
    const oversized = await api.post('/orders', orderBody({ padding: 'x'.repeat(DEFAULT_BODY_LIMIT_BYTES) }));
    assert.equal(oversized.status, 413);
    assert.equal(oversized.body.error.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
    const notJson = await api.postRaw('/orders', '{"customerId":');
    assert.equal(notJson.status, 400);
    assert.equal(await countOrders(), before, 'no invalid request created an order');
  });

  await t.test('POST /orders should accept exactly the largest order the contract allows', async () => {
    const items = Array.from({ length: MAX_LINES_PER_ORDER }, (_, index) => ({
      sku: `SKU-${index}`,
      quantity: MAX_QUANTITY_PER_LINE,
    }));
    const response = await api.post('/orders', orderBody({ items }));
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal((await inventory.placed(response.body.orderId)).event.payload.lines.length, MAX_LINES_PER_ORDER);
  });

  await t.test(
    'a retry with the same Idempotency-Key and body should return the same order, and only one exists',
    async () => {
      const body = orderBody();
      const headers = { 'idempotency-key': randomUUID() };
      const first = await api.post('/orders', body, headers);
      // The same order sent again, lines reordered: the same request, so the same answer.
      const retry = await api.post('/orders', { ...body, items: [...body.items].reverse() }, headers);
      assert.equal(first.status, 202);
      assert.equal(retry.status, 202);
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.get('location'), first.headers.get('location'));
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const { rows } = await pool.query('SELECT id FROM orders WHERE customer_id = $1', [body.customerId]);
      assert.deepEqual(rows, [{ id: first.body.orderId }]);
    },
  );

  await t.test('the same Idempotency-Key with a different body should be refused with 422', async () => {
    const body = orderBody();
    const headers = { 'idempotency-key': 'checkout-42' };
    const first = await api.post('/orders', body, headers);
    assert.equal(first.status, 202);
    const changed = await api.post('/orders', { ...body, items: [{ sku: 'MUG-RED', quantity: 9 }] }, headers);
    assert.equal(changed.status, 422);
    assert.equal(changed.body.error.code, 'ORD_IDEMPOTENCY_KEY_REUSED');
    // Keys are scoped per customer: another customer's identical key is a different order.
    const other = await api.post('/orders', orderBody(), headers);
    assert.equal(other.status, 202);
    assert.notEqual(other.body.orderId, first.body.orderId);
  });

  await t.test('10 concurrent requests with the same Idempotency-Key should place exactly one order', async () => {
    const body = orderBody();
    const headers = { 'idempotency-key': randomUUID() };
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.post('/orders', body, headers)));
    assert.deepEqual(
      responses.map((response) => response.status),
      Array(10).fill(202),
    );
    assert.equal(
      responses.filter((response) => response.headers.get('idempotent-replayed') === 'true').length,
      9,
      'nine answered from the first one',
    );
    const ids = new Set(responses.map((response) => response.body.orderId));
    assert.equal(ids.size, 1, `one order id, got ${[...ids].join(', ')}`);
    const [orderId] = ids as Set<string>;
    const { rows } = await pool.query('SELECT id FROM orders WHERE customer_id = $1', [body.customerId]);
    assert.deepEqual(rows, [{ id: orderId }]);
    await inventory.placed(orderId as string);
    assert.equal(inventory.orderPlaced.forOrder(orderId as string).length, 1, 'one OrderPlaced');
  });

  await t.test(
    'GET /orders/{id} should answer 404 ORD_NOT_FOUND for an unknown order and 400 for bad parameters',
    async () => {
      const missing = await api.get(`/orders/${randomUUID()}?wait=1`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'ORD_NOT_FOUND');
      assert.ok(missing.elapsedMs < 900, 'an unknown order is not waited for');
      assert.equal((await api.get('/orders/not-a-uuid')).body.error.code, 'HTTP_VALIDATION_FAILED');
      const { orderId } = (await api.post('/orders', orderBody())).body;
      const tooLong = await api.get(`/orders/${orderId}?wait=${MAX_WAIT_SECONDS + 1}`);
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.error.code, 'ORD_WAIT_TOO_LONG');
      assert.equal((await api.get(`/orders/${orderId}?wait=soon`)).body.error.code, 'HTTP_VALIDATION_FAILED');
      assert.equal((await api.get(`/orders/${orderId}?expand=all`)).body.error.code, 'HTTP_VALIDATION_FAILED');
    },
  );

  await t.test("GET /orders?customerId= should list that customer's orders newest first, page by page", async () => {
    const customerId = randomUUID();
    const placed: string[] = [];
    for (let index = 0; index < 5; index++) {
      placed.push((await api.post('/orders', orderBody({ customerId }))).body.orderId);
    }
    await api.post('/orders', orderBody());
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const response = await api.get(`/orders?customerId=${customerId}&limit=2${before ? `&before=${before}` : ''}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.ok(response.body.orders.length <= 2);
      for (const order of response.body.orders) {
        assert.equal(order.customerId, customerId);
        assert.equal(order.status, 'PENDING');
      }
      seen.push(...response.body.orders.map((order: { orderId: string }) => order.orderId));
      before = response.body.nextBefore;
      pages++;
    } while (before !== null && pages < 10);
    assert.deepEqual(seen, [...placed].reverse());
    assert.equal(pages, 3);

    const all = await api.get(`/orders?customerId=${customerId.toUpperCase()}`);
    assert.deepEqual(
      all.body.orders.map((order: { orderId: string }) => order.orderId),
      [...placed].reverse(),
    );
    assert.equal(all.body.nextBefore, null);
    assert.deepEqual((await api.get(`/orders?customerId=${randomUUID()}`)).body, { orders: [], nextBefore: null });
  });

  await t.test('GET /orders should refuse a missing customer, an out-of-range limit and a foreign cursor', async () => {
    const customerId = randomUUID();
    const foreign = (await api.post('/orders', orderBody())).body.orderId;
    // The caller is an operator (order-api.ts), who must name the customer.
    assert.equal((await api.get('/orders')).body.error.code, 'ORD_CUSTOMER_ID_REQUIRED');
    for (const limit of [0, MAX_PAGE_SIZE + 1]) {
      const response = await api.get(`/orders?customerId=${customerId}&limit=${limit}`);
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'ORD_PAGE_LIMIT_OUT_OF_RANGE');
    }
    assert.equal((await api.get(`/orders?customerId=${customerId}&limit=${MAX_PAGE_SIZE}`)).status, 200);
    const cursor = await api.get(`/orders?customerId=${customerId}&before=${foreign}`);
    assert.equal(cursor.status, 400);
    assert.equal(cursor.body.error.code, 'ORD_UNKNOWN_CURSOR');
  });

  await t.test('/metrics should count placed orders and HTTP requests by route template', async () => {
    const metrics = await (await fetch(new URL('/metrics', service.url))).text();
    const placed = Number(/^orders_placed_total (\d+)/m.exec(metrics)?.[1]);
    assert.equal(placed, await countOrders(), 'one count per order, replays excluded');
    assert.match(metrics, /^orders_idempotent_replays_total [1-9]/m);
    assert.match(metrics, /^order_http_requests_total\{method="POST",route="\/orders",status="202"\} \d+/m);
    assert.match(metrics, /^order_http_requests_total\{method="GET",route="\/orders\/:id",status="404"\} \d+/m);
  });
});
