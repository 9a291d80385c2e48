/**
 * Placing an order is one statement: the idempotency key, the order, its saga and first step, and the
 * OrderPlaced outbox row; a repeated Idempotency-Key is answered by that same statement.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Queryable } from '@shop/platform';
import { OrderPlacements, placeOrder } from '../../src/app/place-orders.ts';
import { type PlaceOrderCommand, toPlaceOrderCommand } from '../../src/domain/place-order-command.ts';
import { DEFAULT_SAGA_SETTINGS } from '../../src/domain/saga/saga-timing.ts';
import { orderBody } from '../support/order-api.ts';
import { createOrderDatabase } from '../support/order-database.ts';

function command(overrides: Record<string, unknown> = {}): PlaceOrderCommand {
  const result = toPlaceOrderCommand(orderBody(overrides));
  if (!result.ok) throw new Error(result.message);
  return result.command;
}

test('placing an order', async (t) => {
  const database = await createOrderDatabase(t, 'order_place');
  let statements = 0;
  // Counts the round trips placing an order makes (each query is one).
  const counting: Queryable = {
    query: ((...args: Parameters<Queryable['query']>) => {
      statements++;
      return (database.pool.query as (...a: unknown[]) => unknown).apply(database.pool, args);
    }) as Queryable['query'],
  };
  const place = (placed: PlaceOrderCommand, key?: string) => {
    statements = 0;
    return placeOrder({ pool: counting, events: database.events, settings: DEFAULT_SAGA_SETTINGS }, placed, key);
  };
  const countRows = async (orderId: string) => {
    const { rows } = await database.pool.query(
      `SELECT (SELECT count(*)::int FROM orders WHERE id = $1) AS orders,
              (SELECT count(*)::int FROM order_sagas WHERE order_id = $1 AND state = 'RESERVING') AS sagas,
              (SELECT count(*)::int FROM order_saga_steps WHERE order_id = $1 AND step = 'RESERVE_STOCK'
                 AND status = 'STARTED' AND deadline_at > now()) AS steps,
              (SELECT count(*)::int FROM outbox WHERE message_key = $1::text AND event_type = 'OrderPlaced') AS events,
              (SELECT count(*)::int FROM idempotency_keys WHERE order_id = $1) AS keys`,
      [orderId],
    );
    return rows[0];
  };

  await t.test(
    'an order without a key should be placed in one statement, with its saga, step and OrderPlaced',
    async () => {
      const placed = await place(command());
      assert.equal(statements, 1);
      assert.equal(placed.replayed, false);
      assert.deepEqual(await countRows(placed.orderId), { orders: 1, sagas: 1, steps: 1, events: 1, keys: 0 });
      const step = await database.pool.query(
        `SELECT st.request_event_id = o.event_id AS names_event FROM order_saga_steps st
       JOIN outbox o ON o.message_key = st.order_id::text WHERE st.order_id = $1`,
        [placed.orderId],
      );
      assert.equal(step.rows[0].names_event, true, 'the first step names its OrderPlaced');
    },
  );

  await t.test(
    'a repeated Idempotency-Key should return the same order in one statement, placing nothing new',
    async () => {
      const key = `key-${randomUUID()}`;
      const body = command();
      const first = await place(body, key);
      assert.equal(statements, 1);
      assert.equal(first.replayed, false);
      const again = await place(body, key);
      assert.equal(statements, 1, 'the replay is answered by the same one statement');
      assert.deepEqual(again, { orderId: first.orderId, replayed: true });
      assert.deepEqual(await countRows(first.orderId), { orders: 1, sagas: 1, steps: 1, events: 1, keys: 1 });
      const total = await database.pool.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [
        body.customerId,
      ]);
      assert.equal(total.rows[0].n, 1, 'no second order');

      await assert.rejects(
        place({ ...body, lines: [{ sku: 'MUG-RED', quantity: 5 }] }, key),
        (error: { code?: string }) => error.code === 'ORD_IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal(statements, 1);
      const after = await database.pool.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [
        body.customerId,
      ]);
      assert.equal(after.rows[0].n, 1, 'the refused request wrote nothing');
    },
  );

  await t.test('concurrent requests with one key should place exactly one order', async () => {
    const key = `key-${randomUUID()}`;
    const body = command();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        placeOrder(
          {
            pool: database.pool,
            events: database.events,
            settings: DEFAULT_SAGA_SETTINGS,
          },
          body,
          key,
        ),
      ),
    );
    assert.equal(new Set(results.map((result) => result.orderId)).size, 1);
    assert.equal(results.filter((result) => !result.replayed).length, 1);
    assert.deepEqual(await countRows(results[0]?.orderId ?? ''), { orders: 1, sagas: 1, steps: 1, events: 1, keys: 1 });
  });

  await t.test(
    'requests arriving while a placement statement runs should share the next one (group commit)',
    async () => {
      const placements = new OrderPlacements({
        pool: counting,
        events: database.events,
        settings: DEFAULT_SAGA_SETTINGS,
        maxInFlight: 1,
      });
      statements = 0;
      const commands = Array.from({ length: 20 }, () => command());
      // The first is sent alone at once; the other 19 arrive while it runs and go together in the next one.
      const placed = await Promise.all(commands.map((each) => placements.place(each, undefined)));
      assert.equal(statements, 2);
      assert.equal(new Set(placed.map((each) => each.orderId)).size, 20);
      for (const each of placed) {
        assert.deepEqual(await countRows(each.orderId), { orders: 1, sagas: 1, steps: 1, events: 1, keys: 0 });
      }
    },
  );

  await t.test('a key repeated within one group-commit statement should place one order and replay it', async () => {
    const placements = new OrderPlacements({
      pool: counting,
      events: database.events,
      settings: DEFAULT_SAGA_SETTINGS,
      maxInFlight: 1,
    });
    statements = 0;
    const key = `key-${randomUUID()}`;
    const body = command();
    const [, first, again, reused] = await Promise.allSettled([
      placements.place(command(), undefined), // occupies the first statement
      placements.place(body, key),
      placements.place(body, key),
      placements.place({ ...body, lines: [{ sku: 'MUG-RED', quantity: 9 }] }, key),
    ]);
    assert.equal(statements, 2, 'the three requests with the key shared one statement');
    assert.equal(first.status, 'fulfilled');
    assert.equal(again.status, 'fulfilled');
    if (first.status !== 'fulfilled' || again.status !== 'fulfilled') return;
    assert.equal(first.value.replayed, false);
    assert.deepEqual(again.value, { orderId: first.value.orderId, replayed: true });
    assert.equal(reused.status, 'rejected');
    assert.equal((reused as PromiseRejectedResult).reason.code, 'ORD_IDEMPOTENCY_KEY_REUSED');
    const total = await database.pool.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [
      body.customerId,
    ]);
    assert.equal(total.rows[0].n, 1);
  });
});
