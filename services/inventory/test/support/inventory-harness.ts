/**
 * Boots the Inventory Service in-process on the real broker and database (its own namespace and
 * database), and gives tests what they need around it: a producer for the order service's events and
 * commands, a reader of everything Inventory publishes, HTTP helpers and direct reads of the stock.
 */
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import {
  deadLetterTopicOf,
  decodeRecord,
  type EncodedRecord,
  type EventMeta,
  type EventPayload,
  encodeEvent,
  newEventMeta,
  topicName,
} from '@shop/contracts';
import { createProducer, type KafkaNamespace, type KafkaProducer, type RunningService } from '@shop/platform';
import {
  bearer,
  createTestNamespace,
  eventually,
  followTopic,
  operatorToken,
  startTestService,
  testKafkaConnection,
} from '@shop/test-support';
import { createInventoryService } from '../../src/service.ts';

/** Longest a test waits for the service to react to a record. */
export const REACTION_TIMEOUT_MS = 20_000;

export interface PublishedEvent {
  type: string;
  payload: Record<string, unknown> & { orderId: string };
  meta: EventMeta;
  partition: number;
}

export interface DeadLetter {
  key: string | undefined;
  headers: Map<string, string>;
}

export interface StockRow {
  available: number;
  reserved: number;
  sold: number;
  totalUnits: number;
}

export interface InventoryHarness {
  url: string;
  service: RunningService;
  namespace: KafkaNamespace;
  producer: KafkaProducer;
  /** Every event Inventory published on the reservation results topic so far, in arrival order. */
  results: PublishedEvent[];
  /** Results for one order. */
  resultsFor(orderId: string): PublishedEvent[];
  /** Waits until the order has at least `count` results and returns them. */
  waitForResults(orderId: string, count?: number): Promise<PublishedEvent[]>;
  /** Encodes an OrderPlaced (new event id unless given) without sending it. */
  orderPlaced(payload: EventPayload<'OrderPlaced'>, eventId?: string): EncodedRecord;
  /** Sends encoded records to their (namespaced) topic, optionally to an explicit partition. */
  send(records: readonly EncodedRecord[], partition?: (index: number) => number | undefined): Promise<void>;
  /** Encodes a CommitReservation or ReleaseReservation for `orderId` (a new event each call). */
  command(type: 'CommitReservation' | 'ReleaseReservation', orderId: string): EncodedRecord;
  /** PUTs a product (as an operator, or with `token`) and returns the response. */
  put(sku: string, body: unknown, token?: string): Promise<Response>;
  /** GETs a path as an operator (reservations are a service's and an operator's). */
  get(path: string): Promise<Response>;
  /** Creates (or sets) a EUR product with `available` units. */
  stock(sku: string, available: number, amountMinor?: number): Promise<void>;
  /** The product's stock buckets, read from the database. */
  stockOf(sku: string): Promise<StockRow>;
  /** Rows of the reservations table for the order (0 or 1). */
  reservationCount(orderId: string): Promise<number>;
  /** Waits until the outbox is empty: every committed event has been published. */
  outboxDrained(): Promise<void>;
}

export async function startInventory(t: TestContext, options: { seedDemoCatalog?: boolean } = {}) {
  const namespace = await createTestNamespace(t, 'inv');
  const service = await startTestService(
    t,
    createInventoryService({ seedDemoCatalog: options.seedDemoCatalog ?? false }),
    { namespace },
  );
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());
  const results: PublishedEvent[] = [];
  await followTopic(t, namespace.topic(topicName('reservationResults')), (record) => {
    const decoded = decodeRecord(record.value, record.headers, { topic: topicName('reservationResults') });
    if (!decoded.ok) throw new Error(`Inventory published an invalid record: ${decoded.code} ${decoded.reason}`);
    results.push({
      type: decoded.event.type,
      payload: decoded.event.payload as PublishedEvent['payload'],
      meta: decoded.meta,
      partition: record.partition,
    });
  });
  const pool = service.context.pool;

  const harness: InventoryHarness = {
    url: service.url,
    service,
    namespace,
    producer,
    results,
    resultsFor: (orderId) => results.filter((event) => event.payload.orderId === orderId),
    async waitForResults(orderId, count = 1) {
      return eventually(
        async () => {
          const found = harness.resultsFor(orderId);
          return found.length >= count ? found : undefined;
        },
        REACTION_TIMEOUT_MS,
        `${count} result(s) for order ${orderId}`,
      );
    },
    orderPlaced(payload, eventId) {
      const meta = newEventMeta({
        type: 'OrderPlaced',
        producer: 'order-service',
        correlationId: payload.orderId,
        ...(eventId === undefined ? {} : { eventId }),
      });
      return encodeEvent({ meta, payload });
    },
    command(type, orderId) {
      const meta = newEventMeta({ type, producer: 'order-service', correlationId: orderId });
      return encodeEvent({ meta, payload: { orderId } });
    },
    async send(records, partition = () => undefined) {
      await producer.send({
        messages: records.map((record, index) => {
          const target = partition(index);
          return {
            topic: namespace.topic(record.topic),
            key: record.key,
            value: record.value,
            headers: new Map(Object.entries(record.headers)),
            ...(target === undefined ? {} : { partition: target }),
          };
        }),
      });
    },
    put: async (sku, body, token) =>
      fetch(`${service.url}/inventory/${encodeURIComponent(sku)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? (await operatorToken())}` },
        body: JSON.stringify(body),
      }),
    get: async (path) => fetch(`${service.url}${path}`, { headers: bearer(await operatorToken()) }),
    async stock(sku, available, amountMinor = 1000) {
      const response = await harness.put(sku, { available, unitPrice: { amountMinor, currency: 'EUR' } });
      if (!response.ok) throw new Error(`PUT ${sku} failed: ${response.status} ${await response.text()}`);
    },
    async stockOf(sku) {
      const result = await pool.query<{ available: number; reserved: number; sold: number; total_units: string }>(
        'SELECT available, reserved, sold, total_units::text FROM products WHERE sku = $1',
        [sku],
      );
      const row = result.rows[0];
      if (row === undefined) throw new Error(`no product ${sku}`);
      return { available: row.available, reserved: row.reserved, sold: row.sold, totalUnits: Number(row.total_units) };
    },
    async reservationCount(orderId) {
      const result = await pool.query<{ count: string }>(
        'SELECT count(*)::text AS count FROM reservations WHERE order_id = $1',
        [orderId],
      );
      return Number(result.rows[0]?.count ?? 0);
    },
    async outboxDrained() {
      await eventually(
        async () => {
          const result = await pool.query<{ count: string }>('SELECT count(*)::text AS count FROM outbox');
          return result.rows[0]?.count === '0' ? true : undefined;
        },
        REACTION_TIMEOUT_MS,
        'the outbox to drain',
      );
    },
  };
  return harness;
}

/** Records read from the consumer's dead-letter topic, with their headers as text. */
export async function readDeadLetters(
  t: TestContext,
  harness: InventoryHarness,
  consumerId: 'reserveStock' | 'settleReservations',
): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await followTopic(t, harness.namespace.topic(deadLetterTopicOf(consumerId).name), (record) => {
    letters.push({
      key: record.key,
      headers: new Map([...record.headers].map(([name, value]) => [name, value.toString()])),
    });
  });
  return letters;
}

/** A new order id (the contracts' canonical lowercase UUID). */
export function newOrderId(): string {
  return randomUUID();
}
