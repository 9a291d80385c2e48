/**
 * Point reads of orders for long polls: the reads that arrive together share one statement, and each caller
 * gets its own order (or nothing for an unknown id).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Queryable } from '@shop/platform';
import { countingQueryable } from '@shop/test-support';
import { MAX_ORDER_READS_IN_FLIGHT, OrderReads } from '../../src/app/order-queries.ts';
import { createOrderDatabase } from '../support/order-database.ts';

test('order reads', async (t) => {
  const database = await createOrderDatabase(t, 'order_reads');
  const counter = countingQueryable<Queryable>(database.pool);
  const counting = counter.queryable;
  const orderIds: string[] = [];
  for (let i = 0; i < 20; i++) orderIds.push(await database.place());

  await t.test('reads made together should share statements, each answered with its own order', async () => {
    const reads = new OrderReads(counting);
    counter.reset();
    const unknown = randomUUID();
    const asked = [...orderIds, unknown, orderIds[0] as string];
    const found = await Promise.all(asked.map((id) => reads.find(id)));
    // The first reads go at once, alone (one per statement allowed in flight); the rest share the next one.
    assert.ok(
      counter.statements() <= MAX_ORDER_READS_IN_FLIGHT + 1,
      `22 reads took ${counter.statements()} statements`,
    );
    assert.deepEqual(
      found.map((order) => order?.id),
      [...orderIds, undefined, orderIds[0]],
    );
    assert.equal(found[0]?.status, 'PENDING');
    assert.equal(found[0]?.saga?.steps[0]?.step, 'RESERVE_STOCK', 'the saga comes with the order');
  });

  await t.test('an idle read should be one statement of its own', async () => {
    const reads = new OrderReads(counting);
    counter.reset();
    const order = await reads.find(orderIds[5] as string);
    assert.equal(order?.id, orderIds[5]);
    assert.equal(counter.statements(), 1);
  });
});
