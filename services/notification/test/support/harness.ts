/**
 * Boots the Notification Service in-process on the real Kafka and PostgreSQL (its own namespace and
 * database), with a producer standing in for the Order Service, and probes for what it recorded.
 */
import type { TestContext } from 'node:test';
import { deadLetterTopicOf, encodeEvent, newEventMeta, topicName } from '@shop/contracts';
import {
  createAdmin,
  createProducer,
  type KafkaNamespace,
  type KafkaProducer,
  type RunningService,
} from '@shop/platform';
import {
  bearer,
  createTestNamespace,
  eventually,
  operatorToken,
  serviceLogTail,
  startTestService,
  testKafkaConnection,
} from '@shop/test-support';
import { findInDevMailbox } from '../../src/db/dev-mailbox-repository.ts';
import type { NotificationRecord } from '../../src/db/notification-repository.ts';
import type { ChannelKind } from '../../src/domain/channel.ts';
import { notificationKey } from '../../src/domain/notification-key.ts';
import type { OutcomeEvent, OutcomeType } from '../../src/domain/outcome.ts';
import { createNotificationService, type NotificationServiceOptions } from '../../src/service.ts';

/** Publishes outcome events to the namespaced order-outcomes topic, as the Order Service's relay would. */
export async function publishOutcomes(
  producer: KafkaProducer,
  namespace: KafkaNamespace,
  events: ReadonlyArray<{ event: OutcomeEvent; eventId?: string }>,
): Promise<void> {
  const messages = events.map(({ event, eventId }) => {
    const common = {
      producer: 'order-service' as const,
      correlationId: event.payload.orderId,
      ...(eventId === undefined ? {} : { eventId }),
    };
    const record =
      event.type === 'OrderConfirmed'
        ? encodeEvent({ meta: newEventMeta({ ...common, type: event.type }), payload: event.payload })
        : encodeEvent({ meta: newEventMeta({ ...common, type: event.type }), payload: event.payload });
    return {
      topic: namespace.topic(topicName('orderOutcomes')),
      key: record.key,
      value: record.value,
      headers: new Map(Object.entries(record.headers)),
    };
  });
  await producer.send({ messages });
}

export interface Harness {
  namespace: KafkaNamespace;
  service: RunningService;
  producer: KafkaProducer;
  publish(...events: OutcomeEvent[]): Promise<void>;
}

/** A running service with its own namespace and database, torn down after the test. */
export interface HarnessOptions extends NotificationServiceOptions {
  /** The service's environment beyond the test settings (startTestService); never the machine's. Default: none. */
  env?: Record<string, string>;
}

export async function startHarness(t: TestContext, options: HarnessOptions = {}): Promise<Harness> {
  const namespace = await createTestNamespace(t, 'ntf');
  const { env, ...serviceOptions } = options;
  const definition = createNotificationService(serviceOptions);
  const service = await startTestService(t, definition, { namespace, ...(env === undefined ? {} : { env }) });
  const producer = await testProducer(t);
  return {
    namespace,
    service,
    producer,
    publish: (...events) =>
      publishOutcomes(
        producer,
        namespace,
        events.map((event) => ({ event })),
      ),
  };
}

export async function testProducer(t: TestContext): Promise<KafkaProducer> {
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  return producer;
}

/** GET /notifications?orderId=, as an operator (recipients are personal data: nobody else may read them). */
export async function listNotifications(baseUrl: string, orderId: string): Promise<NotificationRecord[]> {
  const response = await fetch(`${baseUrl}/notifications?orderId=${orderId}`, {
    headers: bearer(await operatorToken()),
  });
  if (response.status !== 200) throw new Error(`GET /notifications answered ${response.status}`);
  const body = (await response.json()) as { orderId: string; notifications: NotificationRecord[] };
  return body.notifications;
}

/** Waits until the order has exactly `count` notifications with status 'sent', and returns them. */
export async function waitForSent(
  service: RunningService,
  orderId: string,
  count: number,
  timeoutMs = 20_000,
): Promise<NotificationRecord[]> {
  return eventually(
    async () => {
      const records = await listNotifications(service.url, orderId);
      return records.filter((record) => record.status === 'sent').length === count ? records : undefined;
    },
    timeoutMs,
    `${count} sent notifications of order ${orderId}`,
    () => serviceLogTail(service, 120),
  );
}

/** What the development channel's mailbox holds for an order outcome, per channel. */
export async function devMailbox(
  service: RunningService,
  orderId: string,
  outcome: OutcomeType,
  channels: readonly ChannelKind[] = ['email', 'sms'],
) {
  return findInDevMailbox(
    service.context.pool,
    channels.map((channel) => notificationKey(orderId, outcome, channel)),
  );
}

/** Records in the consumer's dead-letter topic (the end offset of its single partition). */
export async function deadLetterCount(namespace: KafkaNamespace): Promise<number> {
  const admin = createAdmin(await testKafkaConnection());
  try {
    const offsets = await admin.listOffsets({
      topics: [
        {
          name: namespace.topic(deadLetterTopicOf('notifyCustomers').name),
          partitions: [{ partitionIndex: 0, timestamp: -1n }],
        },
      ],
    });
    return Number(offsets[0]?.partitions[0]?.offset ?? -1);
  } finally {
    await admin.close();
  }
}
