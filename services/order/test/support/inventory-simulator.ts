/**
 * Stands in for the Inventory Service on the real broker: sees every OrderPlaced (through a recorder on
 * the namespaced order-placed topic) and publishes the replies a test asks for, encoded and validated by
 * the contracts exactly as Inventory's outbox would.
 */
import type { TestContext } from 'node:test';
import { causedBy, type EncodedRecord, type EventPayload, encodeEvent, newEventMeta } from '@shop/contracts';
import { createProducer, type KafkaNamespace } from '@shop/platform';
import { testKafkaConnection } from '@shop/test-support';
import { type RecordedEvent, recordTopic, type TopicRecorder } from './topic-recorder.ts';

export interface InventorySimulator {
  readonly orderPlaced: TopicRecorder;
  /** Waits for the order's OrderPlaced and returns it. */
  placed(orderId: string): Promise<RecordedEvent & { event: { type: 'OrderPlaced' } }>;
  /** Reserves every placed line at `unitPriceMinor` each; returns the reply's event id. */
  reserve(orderId: string, options?: { unitPriceMinor?: number; currency?: string }): Promise<string>;
  /** Fails the reservation: every placed line INSUFFICIENT_STOCK with `available` units, unless `failures` is given. */
  fail(orderId: string, failures?: EventPayload<'InventoryFailed'>['failures']): Promise<string>;
  /** Publishes any encoded event to its namespaced topic (e.g. a payment reply); returns its event id. */
  publish(encoded: EncodedRecord): Promise<string>;
  /** Publishes many encoded events with one produce call, so they arrive together (as under load). */
  publishAll(encoded: readonly EncodedRecord[]): Promise<void>;
}

export async function startInventorySimulator(t: TestContext, namespace: KafkaNamespace): Promise<InventorySimulator> {
  const orderPlaced = await recordTopic(t, namespace, 'orderPlaced');
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());

  async function placed(orderId: string) {
    const [first] = await orderPlaced.waitForOrder(orderId);
    if (first === undefined || first.event.type !== 'OrderPlaced') throw new Error(`no OrderPlaced for ${orderId}`);
    return first as RecordedEvent & { event: { type: 'OrderPlaced' } };
  }

  async function publishAll(encoded: readonly EncodedRecord[]): Promise<void> {
    await producer.send({
      messages: encoded.map((each) => ({
        topic: namespace.topic(each.topic),
        key: each.key,
        value: each.value,
        headers: new Map(Object.entries(each.headers)),
      })),
    });
  }

  async function publish(encoded: EncodedRecord): Promise<string> {
    await publishAll([encoded]);
    return encoded.meta.eventId;
  }

  return {
    orderPlaced,
    placed,
    publish,
    publishAll,
    async reserve(orderId, options = {}) {
      const cause = await placed(orderId);
      const unitPrice = { amountMinor: options.unitPriceMinor ?? 1_250, currency: options.currency ?? 'EUR' };
      const lines = cause.event.payload.lines.map((line) => ({ ...line, unitPrice }));
      const amountMinor = lines.reduce((sum, line) => sum + line.quantity * unitPrice.amountMinor, 0);
      const meta = newEventMeta({ type: 'InventoryReserved', producer: 'inventory-service', ...causedBy(cause.meta) });
      return publish(
        encodeEvent({ meta, payload: { orderId, lines, total: { amountMinor, currency: unitPrice.currency } } }),
      );
    },
    async fail(orderId, failures) {
      const cause = await placed(orderId);
      const meta = newEventMeta({ type: 'InventoryFailed', producer: 'inventory-service', ...causedBy(cause.meta) });
      const payload: EventPayload<'InventoryFailed'> = {
        orderId,
        failures:
          failures ??
          cause.event.payload.lines.map((line) => ({
            sku: line.sku,
            reason: 'INSUFFICIENT_STOCK' as const,
            requested: line.quantity,
            available: 0,
          })),
      };
      return publish(encodeEvent({ meta, payload }));
    },
  };
}
