import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchItemError, connect, isAppError } from '@shop/platform';
import { eventually } from '@shop/test-support';
import { findReservation } from '../../src/db/reservation-repository.ts';
import {
  commandItem,
  indexed,
  orderPlacedItem,
  type StatementCounter,
  startBatchHarness,
} from '../support/batch-harness.ts';
import { newOrderId } from '../support/inventory-harness.ts';

/** Most statements of one settle batch: lock, status changes, tombstones, stock, outbox. */
const SETTLE_BATCH_MAX_STATEMENTS = 5;

test('settleReservations as a batch handler', async (t) => {
  const inventory = await startBatchHarness(t);

  async function reserved(sku: string, quantities: readonly number[]): Promise<string[]> {
    const orderIds = quantities.map(() => newOrderId());
    await inventory.run(
      inventory.reserve,
      orderIds.map((orderId, index) =>
        orderPlacedItem(index, { orderId, lines: [{ sku, quantity: quantities[index] ?? 1 }] }),
      ),
    );
    return orderIds;
  }

  await t.test(
    'should apply several commands of one order in array order, and commit and release other orders in the same batch',
    async () => {
      await inventory.stock('SETTLE', 100);
      const [paid, paidThenCancelled, cancelled] = (await reserved('SETTLE', [1, 2, 3])) as [string, string, string];
      const items = indexed([
        (index) => commandItem(index, 'CommitReservation', paid),
        (index) => commandItem(index, 'CommitReservation', paidThenCancelled),
        (index) => commandItem(index, 'ReleaseReservation', cancelled),
        (index) => commandItem(index, 'CommitReservation', paid),
        (index) => commandItem(index, 'ReleaseReservation', paidThenCancelled),
        // After the release in this batch: superseded, no reply.
        (index) => commandItem(index, 'CommitReservation', cancelled),
      ]);
      const result = await inventory.run(inventory.settle, items);
      assert.deepEqual(result?.rejected ?? [], []);

      const replies = (await inventory.outbox()).filter((event) => event.type.startsWith('Reservation'));
      assert.deepEqual(
        replies.map((event) => [event.type, event.causationId]),
        [
          ['ReservationCommitted', items[0]?.meta.eventId],
          ['ReservationCommitted', items[1]?.meta.eventId],
          ['ReservationReleased', items[2]?.meta.eventId],
          ['ReservationCommitted', items[3]?.meta.eventId],
          ['ReservationReleased', items[4]?.meta.eventId],
        ],
        'one reply per command in batch order; none for the superseded commit',
      );
      // paid: 1 sold; paidThenCancelled: 2 sold, then back to available; cancelled: 3 back to available.
      assert.deepEqual(await inventory.stockOf('SETTLE'), { available: 99, reserved: 0, sold: 1, totalUnits: 100 });
      const both = await findReservation(inventory.pool, paidThenCancelled);
      assert.equal(both?.status, 'RELEASED');
      assert.ok(both?.committedAt && both.releasedAt, 'both transitions stamped');
      assert.equal((await findReservation(inventory.pool, paid))?.status, 'COMMITTED');
      assert.equal((await findReservation(inventory.pool, cancelled))?.status, 'RELEASED');
    },
  );

  await t.test(
    'should reject a commit of an order never reserved, record a release of one as released, and apply the rest',
    async () => {
      await inventory.stock('SETTLE-2', 10);
      const [held] = (await reserved('SETTLE-2', [4])) as [string];
      const [unknownCommit, neverReserved] = [newOrderId(), newOrderId()];
      const items = indexed([
        (index) => commandItem(index, 'CommitReservation', unknownCommit),
        (index) => commandItem(index, 'ReleaseReservation', neverReserved),
        (index) => commandItem(index, 'CommitReservation', neverReserved),
        (index) => commandItem(index, 'CommitReservation', held),
      ]);
      const result = await inventory.run(inventory.settle, items);
      assert.deepEqual(
        result?.rejected?.map((rejection) => [rejection.index, isAppError(rejection.error) && rejection.error.code]),
        [[0, 'INV_NOTHING_TO_COMMIT']],
      );
      const tombstone = await findReservation(inventory.pool, neverReserved);
      assert.deepEqual([tombstone?.status, tombstone?.lines], ['RELEASED', []]);
      assert.equal(await findReservation(inventory.pool, unknownCommit), undefined, 'the rejected commit left nothing');
      assert.deepEqual(await inventory.stockOf('SETTLE-2'), { available: 6, reserved: 0, sold: 4, totalUnits: 10 });

      // The late OrderPlaced of the released order reserves nothing.
      await inventory.run(inventory.reserve, [
        orderPlacedItem(0, { orderId: neverReserved, lines: [{ sku: 'SETTLE-2', quantity: 1 }] }),
      ]);
      assert.deepEqual(await inventory.stockOf('SETTLE-2'), { available: 6, reserved: 0, sold: 4, totalUnits: 10 });
    },
  );

  await t.test(
    `should use at most ${SETTLE_BATCH_MAX_STATEMENTS} statements for a batch of any size, none of them an advisory lock`,
    async () => {
      for (const size of [1, 20, 100]) {
        const skus = Array.from({ length: 4 }, (_, index) => `SETTLE-COUNT-${size}-${index}`);
        for (const sku of skus) await inventory.stock(sku, 1_000);
        const orderIds = Array.from({ length: size }, () => newOrderId());
        await inventory.run(
          inventory.reserve,
          orderIds.map((orderId, index) =>
            orderPlacedItem(index, { orderId, lines: [{ sku: skus[index % 4] as string, quantity: 1 }] }),
          ),
        );
        const statements: StatementCounter = { count: 0, texts: [] };
        await inventory.run(
          inventory.settle,
          orderIds.map((orderId, index) =>
            commandItem(index, index % 3 === 0 ? 'ReleaseReservation' : 'CommitReservation', orderId),
          ),
          { statements },
        );
        assert.ok(statements.count <= SETTLE_BATCH_MAX_STATEMENTS, statements.texts.join('\n---\n'));
        assert.ok(
          statements.texts.every((text) => !/advisory/i.test(text)),
          'no advisory lock',
        );
        t.diagnostic(
          `settleReservations batch of ${size}: ${statements.count} handler statements, ${(statements.count / size).toFixed(2)} per command`,
        );
      }
    },
  );

  await t.test(
    'should name the release whose order a concurrent transaction reserved during the batch, and keep nothing of the batch',
    async () => {
      await inventory.stock('SETTLE-RACE', 10);
      await inventory.stock('SETTLE-RACE-OTHER', 10);
      const [held] = (await reserved('SETTLE-RACE', [2])) as [string];
      const contested = newOrderId();
      // A concurrent reserve batch (other products) records the contested order and stays open while the
      // release runs: the release's lock statement does not see it, its tombstone insert waits for it.
      const other = await connect(inventory.pool);
      let error: unknown;
      try {
        await other.query('BEGIN');
        await inventory.reserve(
          [orderPlacedItem(0, { orderId: contested, lines: [{ sku: 'SETTLE-RACE-OTHER', quantity: 1 }] })],
          {
            client: other,
            logger: inventory.logger,
          },
        );
        const settled = inventory
          .run(
            inventory.settle,
            indexed([
              (index) => commandItem(index, 'CommitReservation', held),
              (index) => commandItem(index, 'ReleaseReservation', contested),
            ]),
          )
          .then(
            () => undefined,
            (failure: unknown) => failure,
          );
        await eventually(
          async () => {
            const waiting = await inventory.pool.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            return (waiting.rowCount ?? 0) > 0 ? true : undefined;
          },
          5_000,
          'the release waiting for the reserve transaction',
        );
        await other.query('COMMIT');
        error = await settled;
      } finally {
        other.release();
      }
      assert.ok(error instanceof BatchItemError, `a BatchItemError, got ${String(error)}`);
      assert.equal(error.index, 1);
      assert.ok(isAppError(error.cause) && error.cause.code === 'INV_CONCURRENT_DECISION');
      assert.equal((await findReservation(inventory.pool, held))?.status, 'RESERVED', 'the commit was not kept');

      // Run alone, the release finds the reservation and returns its unit.
      await inventory.run(inventory.settle, [commandItem(0, 'ReleaseReservation', contested)]);
      assert.equal((await findReservation(inventory.pool, contested))?.status, 'RELEASED');
      assert.deepEqual(await inventory.stockOf('SETTLE-RACE'), { available: 8, reserved: 2, sold: 0, totalUnits: 10 });
      assert.deepEqual(await inventory.stockOf('SETTLE-RACE-OTHER'), {
        available: 10,
        reserved: 0,
        sold: 0,
        totalUnits: 10,
      });
    },
  );
});
