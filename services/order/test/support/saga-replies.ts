/**
 * Stands in for the Payment Service and Inventory's settle-reservations consumer on the real broker: sees
 * the saga's commands (recorders on the namespaced command topics) and publishes the replies a test asks
 * for, encoded and validated by the contracts, caused by the command they answer.
 */
import type { TestContext } from 'node:test';
import { causedBy, type EventType, encodeEvent, newEventMeta, type ServiceName } from '@shop/contracts';
import type { KafkaNamespace } from '@shop/platform';
import type { InventorySimulator } from './inventory-simulator.ts';
import { type RecordedEvent, recordTopic, type TopicRecorder } from './topic-recorder.ts';

export interface SagaReplies {
  readonly paymentCommands: TopicRecorder;
  readonly inventoryCommands: TopicRecorder;
  /** The `n`-th (1-based) command of `type` for the order, waiting for it. */
  command(orderId: string, type: EventType, n?: number): Promise<RecordedEvent>;
  /** Commands of `type` for the order seen so far. */
  commands(orderId: string, type: EventType): RecordedEvent[];
  capture(orderId: string): Promise<string>;
  decline(orderId: string, code?: 'INSUFFICIENT_FUNDS' | 'CHARGE_EXPIRED'): Promise<string>;
  refund(orderId: string): Promise<string>;
  committed(orderId: string): Promise<string>;
  released(orderId: string): Promise<string>;
}

export async function startSagaReplies(
  t: TestContext,
  namespace: KafkaNamespace,
  inventory: InventorySimulator,
): Promise<SagaReplies> {
  const [paymentCommands, inventoryCommands] = await Promise.all([
    recordTopic(t, namespace, 'paymentCommands'),
    recordTopic(t, namespace, 'inventoryCommands'),
  ]);
  const recorderOf = (type: EventType) =>
    type === 'ChargePayment' || type === 'RefundPayment' ? paymentCommands : inventoryCommands;
  const commands = (orderId: string, type: EventType) =>
    recorderOf(type)
      .forOrder(orderId)
      .filter((recorded) => recorded.event.type === type);

  async function command(orderId: string, type: EventType, n = 1): Promise<RecordedEvent> {
    const recorder = recorderOf(type);
    for (;;) {
      const found = commands(orderId, type);
      const wanted = found[n - 1];
      if (wanted !== undefined) return wanted;
      // Waits for one more event about the order on that topic, whatever its type.
      await recorder.waitForOrder(orderId, recorder.forOrder(orderId).length + 1);
    }
  }

  async function reply(
    cause: RecordedEvent,
    type: EventType,
    producer: ServiceName,
    payload: Record<string, unknown>,
  ): Promise<string> {
    const meta = newEventMeta({ type, producer, ...causedBy(cause.meta) });
    // biome-ignore lint/suspicious/noExplicitAny: the contracts validate the payload when it is encoded
    return inventory.publish(encodeEvent({ meta, payload: payload as any }));
  }

  const paymentOf = (recorded: RecordedEvent) => recorded.event.payload as Record<string, unknown>;

  return {
    paymentCommands,
    inventoryCommands,
    command,
    commands,
    async capture(orderId) {
      const charge = await command(orderId, 'ChargePayment');
      const { paymentId, amount } = paymentOf(charge);
      return reply(charge, 'PaymentCaptured', 'payment-service', { orderId, paymentId, amount });
    },
    async decline(orderId, code = 'INSUFFICIENT_FUNDS') {
      const charge = await command(orderId, 'ChargePayment');
      const { paymentId } = paymentOf(charge);
      return reply(charge, 'PaymentDeclined', 'payment-service', {
        orderId,
        paymentId,
        reason: { code, message: 'The card issuer declined the payment.' },
      });
    },
    async refund(orderId) {
      const refund = await command(orderId, 'RefundPayment');
      const { paymentId, refundId, amount } = paymentOf(refund);
      return reply(refund, 'PaymentRefunded', 'payment-service', { orderId, paymentId, refundId, amount });
    },
    async committed(orderId) {
      return reply(await command(orderId, 'CommitReservation'), 'ReservationCommitted', 'inventory-service', {
        orderId,
      });
    },
    async released(orderId) {
      return reply(await command(orderId, 'ReleaseReservation'), 'ReservationReleased', 'inventory-service', {
        orderId,
      });
    },
  };
}
