/**
 * The contract between the consumer runner and a batch handler. Everything a handler may rely on, and
 * everything it must guarantee, is stated here; the runner's implementation lives beside this file.
 *
 * One batch is one database transaction: the runner writes the inbox rows of the whole batch in one
 * statement (`INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING`), hands the handler only the
 * records that are new, commits, and only then commits the offsets. The handler works in sets: one locking
 * read, decisions in memory, set-based writes, one outbox insert (`EventWriter.appendAll`).
 */
import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { Pool, PoolClient } from '../db/pool.ts';
import type { KafkaConnection, KafkaRecord } from '../kafka/clients.ts';
import type { Logger } from '../logger.ts';
import type { RecordSource, RecordSourceOptions } from './ports.ts';

/** A record as the runner reads it (the client's message type, defined with the clients). */
export type { KafkaRecord } from '../kafka/clients.ts';

/** One new (not yet in the inbox) record of a batch, decoded and schema-checked before the transaction. */
export interface BatchItem<Event> {
  /** Position in the batch, as `BatchItemError.index` and `BatchResult.rejected[].index` refer to it. */
  readonly index: number;
  readonly event: Event;
  readonly eventId: string;
  readonly correlationId?: string;
  readonly record: KafkaRecord;
}

export interface BatchContext {
  /** The batch's one transaction; the inbox rows of the items are already written on it. */
  readonly client: PoolClient;
  readonly logger: Logger;
}

/**
 * A record the handler refused as a domain outcome (not an exception): it had no effect in this
 * transaction. The runner removes its inbox row in the same transaction (so a replay from the dead-letter
 * topic is not taken for a duplicate), commits the rest, then routes it by `classifyFailure(error)`:
 * poison to the dead-letter topic, transient to the consumer's next retry tier. Infrastructure errors are
 * not rejections: throw them.
 */
export interface Rejection {
  readonly index: number;
  readonly error: unknown;
}

export interface BatchResult {
  readonly rejected?: readonly Rejection[];
}

/**
 * Handles the new records of one batch on the batch's transaction.
 *
 * The handler may rely on:
 * - `items` are in processing order: records of one partition in offset order (a batch may hold several
 *   partitions of the consumer's topics; several records may concern one aggregate, e.g. two replies of one
 *   saga, and must then be applied one after the other, in array order);
 * - no item was seen by a committed transaction of this consumer before (the inbox filtered duplicates);
 * - a batch that throws committed nothing, and the runner may call the handler again with any subset of it.
 *
 * The handler must:
 * - return normally only when every item not in `rejected` took effect on `context.client`;
 * - throw `BatchItemError` when one item fails for a reason of its own (the runner then runs the items
 *   before it as one batch, the item alone, and the items after it as another batch), or any error when it
 *   cannot tell which item failed (the runner bisects the batch until the offending record is alone);
 * - throw infrastructure errors (`PLT_POSTGRES_UNREACHABLE`, …) as they are: the whole batch is retried in
 *   place, nothing is split, nothing is dead-lettered, and no offset moves;
 * - make any effect outside the database (a provider's send) safe across such re-runs itself: a split must
 *   never repeat an effect that already happened.
 */
export type BatchHandler<Event> = (
  items: ReadonlyArray<BatchItem<Event>>,
  context: BatchContext,
) => Promise<BatchResult | undefined>;

/** Thrown by a batch handler to name the one item (by `BatchItem.index`) whose own failure is `cause`. */
export class BatchItemError extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super(`batch item ${index} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'BatchItemError';
    this.index = index;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The runner's own types: how it is configured, and the ports it depends on.

/** The outcome of decoding a record (with `@shop/contracts`), done before any transaction is opened. */
export type Decoded<Event> =
  | { ok: true; event: Event; eventId: string; correlationId?: string }
  | { ok: false; code: string; reason: string };

/** What a per-record handler gets; see `adaptRecordHandler`, which runs such handlers in a batch. */
export interface HandlerContext {
  /** The batch's transaction: the handler's writes (and its outbox events) go on it; its inbox row is on it. */
  client: PoolClient;
  record: KafkaRecord;
  logger: Logger;
  eventId: string;
}

/** A per-record handler, for consumers that do not (yet) work in sets. */
export type RecordHandler<Event> = (event: Event, context: HandlerContext) => Promise<void>;

/** A failure the runner hands over: where it goes is the router's decision (retry topic or dead letter). */
export interface RecordFailure {
  kind: 'poison' | 'transient';
  code: string;
  message: string;
  stack?: string;
}

/**
 * Sends a failed record on to its next stop (a retry topic or the dead-letter topic). It must resolve only
 * once the broker acknowledged the copy: the runner commits the source offset after it.
 */
export interface FailureRouter {
  route(record: KafkaRecord, failure: RecordFailure): Promise<'retried' | 'dead-lettered'>;
}

export interface ConsumerRunnerOptions<Event> {
  /** Names the consumer in the inbox, logs and metrics, e.g. `inventory-service.order-placed`. */
  name: string;
  groupId: string;
  topics: readonly string[];
  connection: KafkaConnection;
  pool: Pool;
  logger: Logger;
  decode(record: KafkaRecord): Decoded<Event>;
  /** Handles the new records of a batch on its transaction; see `BatchHandler` for the contract. */
  handleBatch: BatchHandler<Event>;
  failures: FailureRouter;
  /** Records of one batch (one transaction). Default: MAX_BATCH_RECORDS. */
  maxBatchRecords?: number;
  /**
   * Records of the first batch after a start; the limit doubles after each batch that was full and quick,
   * up to `maxBatchRecords`. Default: INITIAL_BATCH_RECORDS (a handler of unknown speed is tried on one
   * record before it is given hundreds in one transaction). Tests that need a whole fetch as one batch set it.
   */
  initialBatchRecords?: number;
  /** Records held in memory per partition before its fetching stops. Default: PARTITION_BUFFER_RECORDS. */
  partitionBufferRecords?: number;
  /**
   * Batches (transactions) in flight at once, each over partitions the others do not hold. A batch takes
   * every ready partition, so with a fast handler one or two are in flight; with a slow one (batches cut to
   * a few records) one per partition would be, each holding a connection. Default: half the pool's size
   * (at least 1), which leaves the other half to the service's HTTP requests and its outbox relay.
   * A batch routing its failed records (after its transactions, no connection held) does not count.
   */
  maxConcurrentBatches?: number;
  /** Longest a fetch waits on the broker when nothing is there. Default: CONSUMER_MAX_WAIT_MS. */
  maxWaitMs?: number;
  /** Default: none. */
  registry?: Registry;
  /** Makes a consumer span per record (consumer-spans.ts). Default: none (no spans: tracing is off). */
  tracer?: Tracer;
  /**
   * For retry tiers: the time (ms since epoch) before which a record must not be handled. Its partition
   * waits (no other partition does); later records of a tier are due later anyway, since they were written
   * later with the same delay.
   */
  dueAt?(record: KafkaRecord): number | undefined;
  /**
   * Fault-injection seam for crash tests: called for each record after its batch's transaction committed
   * and before its offset is committed — the window in which a crash leaves a redelivery that only the
   * inbox makes harmless.
   */
  afterTransaction?(record: KafkaRecord): void;
  /** Opens the group member's stream (the runner's port to Kafka). Default: `openRecordSource`. Tests inject faults here. */
  openSource?(options: RecordSourceOptions): Promise<RecordSource>;
}
