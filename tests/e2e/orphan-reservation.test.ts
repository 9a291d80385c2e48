/**
 * A forged OrderPlaced (an order the Order Service never placed, written to its topic by someone else) must
 * not hold stock: the Order Service answers the reservation with ReleaseReservation instead of
 * dead-lettering it, and a second copy of the reservation result releases nothing more.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { deadLetterTopicOf, encodeEvent, newEventMeta, topicName } from '@shop/contracts';
import { createProducer, type KafkaRecord } from '@shop/platform';
import { createTestNamespace, eventually, readTopic, startTestService, testKafkaConnection } from '@shop/test-support';
import { product, putStock } from '@shop/test-support/stack';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { orderService } from '../../services/order/src/service.ts';

test('a reservation for an order that does not exist should be released and not dead-lettered, and a second copy should release nothing more', async (t) => {
  const namespace = await createTestNamespace(t, 'orphan');
  const [inventory] = await Promise.all([
    startTestService(t, inventoryService, { namespace }),
    startTestService(t, orderService, { namespace }),
  ]);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const send = async (encoded: ReturnType<typeof encodeEvent>) => {
    await producer.send({
      messages: [
        {
          topic: namespace.topic(encoded.topic),
          key: encoded.key,
          value: encoded.value,
          headers: new Map(Object.entries(encoded.headers)),
        },
      ],
    });
  };
  const sku = `ORPHAN-${Date.now().toString(36).toUpperCase()}`;
  await putStock(inventory.url, sku, 10);
  const before = await product(inventory.url, sku);

  const orphan = randomUUID();
  await send(
    encodeEvent({
      meta: newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orphan }),
      payload: { orderId: orphan, lines: [{ sku, quantity: 3 }] },
    }),
  );
  const results = namespace.topic(topicName('reservationResults'));
  const typesFor = (records: readonly KafkaRecord[]) =>
    records.filter((r) => r.key?.toString() === orphan).map((r) => r.headers.get('event-type')?.toString());
  const first = await readTopic(results, (records) => typesFor(records).includes('ReservationReleased'));
  assert.deepEqual(typesFor(first), ['InventoryReserved', 'ReservationReleased']);
  const reservedEvent = first.find((r) => r.headers.get('event-type')?.toString() === 'InventoryReserved');
  assert.ok(reservedEvent?.value);
  await eventually(
    async () => {
      const now = await product(inventory.url, sku);
      return now.reserved === before.reserved && now.available === before.available ? now : undefined;
    },
    20_000,
    'the orphan reservation released',
  );

  // A second copy of the reservation result (a new event id): released again, which moves no stock.
  await send(
    encodeEvent({
      meta: newEventMeta({ type: 'InventoryReserved', producer: 'inventory-service', correlationId: orphan }),
      payload: JSON.parse(reservedEvent.value.toString()),
    }),
  );
  await readTopic(
    results,
    (records) => typesFor(records).filter((type) => type === 'ReservationReleased').length === 2,
  );

  // A reply that is still refused, on the same partition after all of them: once it is dead-lettered, every
  // reply before it has been handled, so the dead-letter topic holds everything it will for this order.
  const sentinel = newEventMeta({ type: 'ReservationCommitted', producer: 'inventory-service', correlationId: orphan });
  await send(encodeEvent({ meta: sentinel, payload: { orderId: orphan } }));
  const dead = await readTopic(namespace.topic(deadLetterTopicOf('orderSaga').name), (records) =>
    records.some((r) => r.headers.get('event-id')?.toString() === sentinel.eventId),
  );
  assert.deepEqual(
    dead.map((r) => r.headers.get('event-type')?.toString()),
    ['ReservationCommitted'],
    'only the sentinel: neither reservation result nor their releases were dead-lettered',
  );
  const after = await product(inventory.url, sku);
  assert.deepEqual(
    { available: after.available, reserved: after.reserved, sold: after.sold },
    { available: before.available, reserved: before.reserved, sold: before.sold },
    'the second release moved nothing',
  );
});
