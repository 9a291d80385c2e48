/**
 * Runs the Inventory batch handlers directly on real transactions of a fresh, migrated database (no broker):
 * items built like the runner builds them, the outbox read back as the published events, and a statement
 * counter on the transaction's client.
 */
import type { TestContext } from 'node:test';
import { type EventPayload, newEventMeta } from '@shop/contracts';
import {
  type BatchResult,
  createEventWriter,
  createLogger,
  createPool,
  type EventBatchHandler,
  type EventBatchItem,
  inTransaction,
  type KafkaRecord,
  kafkaNamespace,
  type Logger,
  migrate,
  type Pool,
  type PoolClient,
} from '@shop/platform';
import { createTestDatabase } from '@shop/test-support';
import { Registry } from 'prom-client';
import { insertProduct } from '../../src/db/product-repository.ts';
import { createReserveStockHandler } from '../../src/events/reserve-stock.ts';
import { createSettleReservationsHandler } from '../../src/events/settle-reservations.ts';
import { createInventoryMetrics } from '../../src/metrics.ts';
import { createInventoryService } from '../../src/service.ts';
import type { StockRow } from './inventory-harness.ts';

export interface OutboxEvent {
  type: string;
  orderId: string;
  causationId: string;
  payload: Record<string, unknown>;
}

export interface BatchHarness {
  pool: Pool;
  registry: Registry;
  logger: Logger;
  reserve: EventBatchHandler;
  settle: EventBatchHandler;
  /** Runs `handler` on one transaction of `pool` (default: the harness's), with `client` counting statements. */
  run(
    handler: EventBatchHandler,
    items: ReadonlyArray<EventBatchItem>,
    options?: { pool?: Pool; statements?: StatementCounter },
  ): Promise<BatchResult | undefined>;
  /** Creates a EUR product with `available` units. */
  stock(sku: string, available: number, amountMinor?: number): Promise<void>;
  stockOf(sku: string): Promise<StockRow>;
  /** Every event in the outbox, in outbox order. */
  outbox(): Promise<OutboxEvent[]>;
  /** A second pool on the same database (for concurrent transactions), closed when `t` (a subtest) ends. */
  extraPool(t: TestContext, max: number): Pool;
}

/** Counts the statements sent through clients it wraps. */
export interface StatementCounter {
  count: number;
  texts: string[];
}

/** A batch item as the runner hands it over (its Kafka record is not read by the handlers). */
export function orderPlacedItem(index: number, payload: EventPayload<'OrderPlaced'>): EventBatchItem {
  const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: payload.orderId });
  return { index, event: { type: 'OrderPlaced', version: 1, payload }, meta, record: {} as KafkaRecord };
}

export function commandItem(
  index: number,
  type: 'CommitReservation' | 'ReleaseReservation',
  orderId: string,
): EventBatchItem {
  const meta = newEventMeta({ type, producer: 'order-service', correlationId: orderId });
  return { index, event: { type, version: 1, payload: { orderId } }, meta, record: {} as KafkaRecord };
}

/** Items numbered by their position. */
export function indexed(items: ReadonlyArray<(index: number) => EventBatchItem>): EventBatchItem[] {
  return items.map((make, index) => make(index));
}

export async function startBatchHarness(t: TestContext): Promise<BatchHarness> {
  const db = await createTestDatabase(t, 'inventory_batch');
  await migrate(db.pool, createInventoryService({ seedDemoCatalog: false }).migrations);
  const registry = new Registry();
  const logger = createLogger({ service: 'inventory-test', level: 'silent' });
  const metrics = createInventoryMetrics(registry, db.pool, logger);
  const events = createEventWriter({ service: 'inventory-service', namespace: kafkaNamespace('') });
  const harness: BatchHarness = {
    pool: db.pool,
    registry,
    logger,
    reserve: createReserveStockHandler({ events, metrics }),
    settle: createSettleReservationsHandler({ events, metrics }),
    run: (handler, items, options = {}) =>
      inTransaction(options.pool ?? db.pool, (client) =>
        handler(items, {
          client: options.statements === undefined ? client : counting(client, options.statements),
          logger,
        }),
      ),
    async stock(sku, available, amountMinor = 1000) {
      await inTransaction(db.pool, (client) =>
        insertProduct(client, { sku, name: sku, unitPrice: { amountMinor, currency: 'EUR' }, available }),
      );
    },
    async stockOf(sku) {
      const result = await db.pool.query<{ available: number; reserved: number; sold: number; total_units: string }>(
        'SELECT available, reserved, sold, total_units::text FROM products WHERE sku = $1',
        [sku],
      );
      const row = result.rows[0];
      if (row === undefined) throw new Error(`no product ${sku}`);
      return { available: row.available, reserved: row.reserved, sold: row.sold, totalUnits: Number(row.total_units) };
    },
    async outbox() {
      const result = await db.pool.query<{ event_type: string; payload: Buffer; headers: Record<string, string> }>(
        'SELECT event_type, payload, headers FROM outbox ORDER BY id',
      );
      return result.rows.map((row) => {
        const payload = JSON.parse(row.payload.toString()) as Record<string, unknown> & { orderId: string };
        return {
          type: row.event_type,
          orderId: payload.orderId,
          causationId: causationOf(row.headers),
          payload,
        };
      });
    },
    extraPool(context, max) {
      const pool = createPool(db.url, { max, applicationName: `test ${db.name} extra` });
      // A subtest's hooks run before the database (created by the outer test) is dropped.
      context.after(() => pool.end());
      return pool;
    },
  };
  return harness;
}

function causationOf(headers: Record<string, string>): string {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase().includes('causation'));
  return entry?.[1] ?? '';
}

/** The client with every `query` call counted (the handlers use nothing else of it). */
export function counting(client: PoolClient, counter: StatementCounter): PoolClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (...args: unknown[]) => {
        counter.count += 1;
        const text = args[0];
        counter.texts.push(typeof text === 'string' ? text : String((text as { text?: string })?.text));
        return (target.query as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
