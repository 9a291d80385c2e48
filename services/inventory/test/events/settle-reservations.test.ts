import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_HEADERS } from '@shop/contracts';
import { eventually } from '@shop/test-support';
import { newOrderId, REACTION_TIMEOUT_MS, readDeadLetters, startInventory } from '../support/inventory-harness.ts';
import { metricValue } from '../support/metrics.ts';

/** After the outbox drained, how long a reply that should not exist is given to show up on the reader. */
const READER_GRACE_MS = 1_000;

test('settleReservations', async (t) => {
  const inventory = await startInventory(t);
  const { registry } = inventory.service.context;
  const deadLetters = await readDeadLetters(t, inventory, 'settleReservations');
  await inventory.stock('MUG-RED', 100, 1250);

  async function reserve(quantity: number): Promise<string> {
    const orderId = newOrderId();
    await inventory.send([inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity }] })]);
    const [result] = await inventory.waitForResults(orderId);
    assert.equal(result?.type, 'InventoryReserved');
    return orderId;
  }

  async function commandAndReply(type: 'CommitReservation' | 'ReleaseReservation', orderId: string) {
    const before = inventory.resultsFor(orderId).length;
    const command = inventory.command(type, orderId);
    await inventory.send([command]);
    const results = await inventory.waitForResults(orderId, before + 1);
    const reply = results[before];
    assert.equal(reply?.meta.causationId, command.meta.eventId, 'the reply answers this command');
    return reply;
  }

  async function commandsHandled(command: 'commit' | 'release', outcome: string, expected: number) {
    await eventually(
      async () =>
        (await metricValue(registry, 'inventory_reservation_commands_total', { command, outcome })) >= expected
          ? true
          : undefined,
      REACTION_TIMEOUT_MS,
      `${expected} ${command} command(s) with outcome ${outcome}`,
    );
  }

  await t.test(
    'should commit by moving reserved units to sold, and answer a repeated commit without moving any',
    async () => {
      const orderId = await reserve(2);
      const before = await inventory.stockOf('MUG-RED');

      const reply = await commandAndReply('CommitReservation', orderId);
      assert.equal(reply?.type, 'ReservationCommitted');
      assert.deepEqual(reply?.payload, { orderId });
      const committed = await inventory.stockOf('MUG-RED');
      assert.deepEqual(committed, { ...before, reserved: before.reserved - 2, sold: before.sold + 2 });

      const again = await commandAndReply('CommitReservation', orderId);
      assert.equal(again?.type, 'ReservationCommitted');
      assert.deepEqual(await inventory.stockOf('MUG-RED'), committed, 'the repeated commit moved nothing');

      const reservation = (await (await inventory.get(`/reservations/${orderId}`)).json()) as {
        status: string;
        committedAt?: string;
      };
      assert.equal(reservation.status, 'COMMITTED');
      assert.ok(reservation.committedAt);
    },
  );

  await t.test(
    'should release by returning reserved units to available, and answer a repeated release without moving any',
    async () => {
      const orderId = await reserve(3);
      const before = await inventory.stockOf('MUG-RED');

      const reply = await commandAndReply('ReleaseReservation', orderId);
      assert.equal(reply?.type, 'ReservationReleased');
      const released = await inventory.stockOf('MUG-RED');
      assert.deepEqual(released, { ...before, available: before.available + 3, reserved: before.reserved - 3 });

      const again = await commandAndReply('ReleaseReservation', orderId);
      assert.equal(again?.type, 'ReservationReleased');
      assert.deepEqual(await inventory.stockOf('MUG-RED'), released, 'the repeated release moved nothing');
    },
  );

  await t.test('should return sold units to available when a committed reservation is released', async () => {
    const orderId = await reserve(4);
    await commandAndReply('CommitReservation', orderId);
    const before = await inventory.stockOf('MUG-RED');

    const reply = await commandAndReply('ReleaseReservation', orderId);
    assert.equal(reply?.type, 'ReservationReleased');
    assert.deepEqual(await inventory.stockOf('MUG-RED'), {
      ...before,
      available: before.available + 4,
      sold: before.sold - 4,
    });
  });

  await t.test('should answer a release of a failed reservation without moving stock', async () => {
    const orderId = newOrderId();
    await inventory.send([inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity: 5_000 }] })]);
    const [failed] = await inventory.waitForResults(orderId);
    assert.equal(failed?.type, 'InventoryFailed');
    const before = await inventory.stockOf('MUG-RED');

    const reply = await commandAndReply('ReleaseReservation', orderId);
    assert.equal(reply?.type, 'ReservationReleased');
    assert.deepEqual(await inventory.stockOf('MUG-RED'), before);
    const reservation = (await (await inventory.get(`/reservations/${orderId}`)).json()) as { status: string };
    assert.equal(reservation.status, 'FAILED', 'a failed reservation stays failed');
  });

  await t.test(
    'should answer a release of an order never reserved, and reserve nothing for its late OrderPlaced',
    async () => {
      const orderId = newOrderId();
      const before = await inventory.stockOf('MUG-RED');
      const reply = await commandAndReply('ReleaseReservation', orderId);
      assert.equal(reply?.type, 'ReservationReleased');
      const reservation = (await (await inventory.get(`/reservations/${orderId}`)).json()) as {
        status: string;
        lines: unknown[];
      };
      assert.deepEqual([reservation.status, reservation.lines], ['RELEASED', []]);

      const duplicatesBefore = await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' });
      await inventory.send([inventory.orderPlaced({ orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] })]);
      await eventually(
        async () =>
          (await metricValue(registry, 'inventory_reservations_total', { outcome: 'duplicate' })) > duplicatesBefore
            ? true
            : undefined,
        REACTION_TIMEOUT_MS,
        'the late OrderPlaced to be handled',
      );
      await inventory.outboxDrained();
      await new Promise((resolve) => setTimeout(resolve, READER_GRACE_MS));
      assert.deepEqual(
        inventory.resultsFor(orderId).map((event) => event.type),
        ['ReservationReleased'],
        'no reservation result for the late OrderPlaced',
      );
      assert.deepEqual(await inventory.stockOf('MUG-RED'), before);
    },
  );

  await t.test('should neither move stock nor reply when a commit arrives after the release', async () => {
    const orderId = await reserve(1);
    await commandAndReply('ReleaseReservation', orderId);
    const before = await inventory.stockOf('MUG-RED');
    const supersededBefore = await metricValue(registry, 'inventory_reservation_commands_total', {
      command: 'commit',
      outcome: 'superseded',
    });

    await inventory.send([inventory.command('CommitReservation', orderId)]);
    await commandsHandled('commit', 'superseded', supersededBefore + 1);
    await inventory.outboxDrained();
    await new Promise((resolve) => setTimeout(resolve, READER_GRACE_MS));
    assert.deepEqual(
      inventory.resultsFor(orderId).map((event) => event.type),
      ['InventoryReserved', 'ReservationReleased'],
    );
    assert.deepEqual(await inventory.stockOf('MUG-RED'), before);
  });

  await t.test('should dead-letter a commit for an order that has no reservation', async () => {
    const orderId = newOrderId();
    const before = await inventory.stockOf('MUG-RED');
    await inventory.send([inventory.command('CommitReservation', orderId)]);
    const letter = await eventually(
      async () => deadLetters.find((candidate) => candidate.key === orderId),
      REACTION_TIMEOUT_MS,
      'the commit in the dead-letter topic',
    );
    assert.equal(letter.headers.get(FAILURE_HEADERS.errorCode), 'INV_NOTHING_TO_COMMIT');
    assert.equal(letter.headers.get(FAILURE_HEADERS.kind), 'poison');
    assert.deepEqual(inventory.resultsFor(orderId), [], 'no reply');
    assert.deepEqual(await inventory.stockOf('MUG-RED'), before);
  });

  const final = await inventory.stockOf('MUG-RED');
  assert.equal(final.available + final.reserved + final.sold, final.totalUnits, 'stock conserved');
  assert.equal(final.totalUnits, 100, 'no unit entered or left except through PUT');
});
