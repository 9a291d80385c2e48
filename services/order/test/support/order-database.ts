/**
 * The Order Service's database without the service: a fresh, migrated test database, the service's own
 * event writer and metrics, and helpers to place orders and to build consumer batch items exactly as the
 * runner hands them over (encoded and decoded by the contracts). For tests that call handlers directly on a
 * transaction of their own.
 */
import type { TestContext } from 'node:test';
import {
  type DecodedEvent,
  decodeRecord,
  type EventMeta,
  type EventPayload,
  type EventType,
  encodeEvent,
  newEventMeta,
  type ServiceName,
} from '@shop/contracts';
import {
  createEventWriter,
  createLogger,
  type EventBatchItem,
  type EventWriter,
  type KafkaRecord,
  kafkaNamespace,
  type Logger,
  migrate,
  type Pool,
} from '@shop/platform';
import { createTestDatabase, type TestDatabase } from '@shop/test-support';
import { Registry } from 'prom-client';
import { placeOrder } from '../../src/app/place-orders.ts';
import type { SagaUseCaseDependencies } from '../../src/app/saga-dependencies.ts';
import { toPlaceOrderCommand } from '../../src/domain/place-order-command.ts';
import { DEFAULT_SAGA_SETTINGS } from '../../src/domain/saga/saga-timing.ts';
import { createOrderMetrics } from '../../src/metrics.ts';
import { orderService } from '../../src/service.ts';
import { orderBody } from './order-api.ts';

export interface OrderDatabase {
  db: TestDatabase;
  pool: Pool;
  events: EventWriter;
  logger: Logger;
  /** The saga's use-case dependencies, on this database (no wake-ups). */
  saga: SagaUseCaseDependencies;
  registry: Registry;
  /** Places an order (POST /orders' use case) and returns its id. */
  place(overrides?: Record<string, unknown>): Promise<string>;
}

export async function createOrderDatabase(t: TestContext, prefix = 'order'): Promise<OrderDatabase> {
  const db = await createTestDatabase(t, prefix);
  const logger = createLogger({ service: 'test', level: 'silent' });
  await migrate(db.pool, orderService.migrations, logger);
  const events = createEventWriter({ service: 'order-service', namespace: kafkaNamespace('') });
  const registry = new Registry();
  const metrics = createOrderMetrics(registry, { waiters: () => 0 });
  const saga: SagaUseCaseDependencies = { pool: db.pool, logger, events, metrics, settings: DEFAULT_SAGA_SETTINGS };
  return {
    db,
    pool: db.pool,
    events,
    logger,
    saga,
    registry,
    async place(overrides = {}) {
      const result = toPlaceOrderCommand(orderBody(overrides));
      if (!result.ok) throw new Error(result.message);
      const placed = await placeOrder(
        { pool: db.pool, events, settings: DEFAULT_SAGA_SETTINGS },
        result.command,
        undefined,
      );
      return placed.orderId;
    },
  };
}

/** A batch item for `payload`, as the runner would hand it over after decoding the record. */
export function batchItem<T extends EventType>(
  index: number,
  type: T,
  producer: ServiceName,
  payload: EventPayload<T>,
  cause?: { correlationId: string },
): EventBatchItem {
  const orderId = (payload as { orderId?: string }).orderId ?? crypto.randomUUID();
  const meta = newEventMeta({ type, producer, correlationId: cause?.correlationId ?? orderId });
  const encoded = encodeEvent({ meta, payload });
  const record = {
    topic: encoded.topic,
    key: encoded.key,
    value: encoded.value,
    headers: new Map(Object.entries(encoded.headers)),
    partition: 0,
    offset: BigInt(index),
    timestamp: BigInt(Date.now()),
  } as unknown as KafkaRecord;
  const decoded = decodeRecord(record.value, record.headers, { topic: encoded.topic, key: encoded.key });
  if (!decoded.ok) throw new Error(`${decoded.code}: ${decoded.reason}`);
  return { index, event: decoded.event as DecodedEvent, meta: decoded.meta as EventMeta, record };
}
