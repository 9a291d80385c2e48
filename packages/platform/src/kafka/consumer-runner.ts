import type { Message, MessagesStream } from '@platformatic/kafka';
import { Counter, Histogram, type Registry } from 'prom-client';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { withLogContext } from '../logger.ts';
import { createConsumer, type KafkaConnection, type KafkaConsumer } from './clients.ts';
import { type ClassifiedFailure, classifyFailure } from './failure.ts';

/** Records of one partition handled before their offset is committed (one commit per batch, not per record). */
export const DEFAULT_MAX_BATCH_SIZE = 200;
/**
 * Records of one partition handled in one database transaction (one BEGIN/COMMIT, one inbox insert for all
 * of them). Each record after the first runs under a savepoint, and PostgreSQL keeps at most 64
 * subtransactions per transaction in shared memory before every snapshot in the database gets slower
 * (subxid overflow): stay below that. Smaller still, because a batch holds its connection (and its row
 * locks) until it commits.
 */
export const DEFAULT_MAX_TRANSACTION_BATCH_SIZE = 20;
/**
 * Partitions of one runner that may hold a database transaction at the same time. A batch transaction keeps
 * its connection for the whole batch: without a cap, a runner with many busy partitions holds every
 * connection of the service's pool, and its HTTP requests wait for one (and time out) behind the consumers.
 * A few are enough to overlap database round trips on a single event loop.
 */
export const DEFAULT_MAX_CONCURRENT_TRANSACTIONS = 3;
/** PGPROC_MAX_CACHED_SUBXIDS: the savepoints of one batch transaction must stay below it. */
const MAX_SUBTRANSACTIONS = 64;
/**
 * Records held in memory across partitions; past it the stream is paused until the workers catch up to
 * half of it. Bounds memory and keeps uncommitted work (redelivered after a crash) small.
 */
export const DEFAULT_MAX_BUFFERED_RECORDS = 1_000;
/** Longest a fetch waits on the broker for new records. */
export const CONSUMER_MAX_WAIT_MS = 500;
/** Backoff bounds for in-place retries while our own database or Kafka is down. */
export const INFRASTRUCTURE_MIN_BACKOFF_MS = 250;
export const INFRASTRUCTURE_MAX_BACKOFF_MS = 10_000;
/** Delay before a consumer whose stream died is created again. */
export const CONSUMER_RESTART_DELAY_MS = 2_000;
export const CONSUMER_SESSION_TIMEOUT_MS = 15_000;
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 1_000;
/** A retry tier waiting for a record's due time re-checks this often, so a stop is not delayed by the wait. */
const DUE_CHECK_INTERVAL_MS = 500;
/**
 * Within a long batch (slow handlers: up to maxBatchSize records), the offset of what is already committed in
 * the database is committed at least this often. The lag monitor judges progress by committed offsets: a
 * consumer that works but commits once per 200 slow records would look stalled, then stopped.
 */
export const OFFSET_COMMIT_INTERVAL_MS = 1_000;

export type KafkaRecord = Message<string, Buffer, string, Buffer>;

/** The outcome of decoding a record with `@shop/contracts`. */
export type Decoded<Event> =
  | { ok: true; event: Event; eventId: string; correlationId?: string }
  | { ok: false; code: string; reason: string };

export interface HandlerContext {
  /** The transaction the handler's writes (and its outbox events) must use; the inbox row is on it too. */
  client: PoolClient;
  record: KafkaRecord;
  logger: Logger;
  eventId: string;
}

/** A failure the runner hands over: where it goes is the router's decision (retry topic or dead letter). */
export interface RecordFailure {
  kind: 'poison' | 'transient';
  code: string;
  message: string;
  stack?: string;
}

/**
 * Sends a failed record on to its next stop (a retry topic or the dead-letter topic). It must resolve only
 * once the broker acknowledged the copy: the runner commits the source offset right after.
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
  /** Runs inside a database transaction that also records the event id in the inbox. */
  handle(event: Event, context: HandlerContext): Promise<void>;
  failures: FailureRouter;
  /** Default: DEFAULT_MAX_BATCH_SIZE. */
  maxBatchSize?: number;
  /** Default: DEFAULT_MAX_TRANSACTION_BATCH_SIZE; 1 gives every record its own transaction. */
  maxTransactionBatchSize?: number;
  /** Default: DEFAULT_MAX_CONCURRENT_TRANSACTIONS. */
  maxConcurrentTransactions?: number;
  /** Default: DEFAULT_MAX_BUFFERED_RECORDS. */
  maxBufferedRecords?: number;
  /** Default: none. */
  registry?: Registry;
  /**
   * For retry tiers: the time (ms since epoch) before which a record must not be handled. The partition
   * waits; later records of a tier are due later anyway, since they were written later with the same delay.
   */
  dueAt?(record: KafkaRecord): number | undefined;
  /**
   * Fault-injection seam for crash tests: called after a record's transaction committed and before its
   * offset is committed — the window in which a crash leaves a redelivery that only the inbox makes harmless.
   */
  afterTransaction?(record: KafkaRecord): void;
}

interface RunnerMetrics {
  records: Counter<'consumer' | 'outcome'>;
  handlerDuration: Histogram<'consumer'>;
  batchSize: Histogram<'consumer'>;
  infrastructureRetries: Counter<'consumer' | 'code'>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one consumer group member. Invariants:
 * - an offset is committed only after every record before it in its partition was handled and its
 *   transaction committed, or was handed to the failure router and acknowledged there;
 * - records of one partition are handled one at a time, in order; partitions of a batch run concurrently;
 * - consecutive records of one partition share one database transaction (up to maxTransactionBatchSize),
 *   each after the first under a savepoint: a record failing on its own is undone alone and routed after
 *   the records before it committed; an infrastructure failure undoes the whole batch;
 * - the inbox row (consumer, event id) is written in the handler's transaction, so a redelivered event
 *   (after a crash between database commit and offset commit, or a rebalance) has no second effect;
 * - infrastructure failures are retried in place, forever, with backoff; only per-record failures
 *   (poison, transient) leave the partition, through the failure router.
 */
export class ConsumerRunner<Event> {
  readonly #options: ConsumerRunnerOptions<Event>;
  readonly #metrics: RunnerMetrics | undefined;
  #consumer: KafkaConsumer | undefined;
  #stream: MessagesStream<string, Buffer, string, Buffer> | undefined;
  /** Records waiting per `topic:partition`; each partition has at most one worker, so its order is kept. */
  #queues = new Map<string, KafkaRecord[]>();
  #workers = new Map<string, Promise<void>>();
  #buffered = 0;
  #paused = false;
  /** Partitions holding a transaction slot, and those waiting for one (FIFO). */
  #activeTransactions = 0;
  #waitingForTransaction: Array<() => void> = [];
  #running = false;
  #healthy = false;
  #supervisor: Promise<void> | undefined;
  #streamDied: ((error: Error) => void) | undefined;

  constructor(options: ConsumerRunnerOptions<Event>) {
    this.#options = options;
    this.#metrics = options.registry === undefined ? undefined : createRunnerMetrics(options.registry);
  }

  /** True while the stream is consuming; false while it is being restarted after an error. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Joins the group and starts consuming; resolves once the first stream is running. */
  async start(): Promise<void> {
    this.#running = true;
    await this.#open();
    this.#supervisor = this.#supervise();
  }

  /** Stops fetching, finishes and commits the batch in flight, then leaves the group. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#streamDied?.(new Error('stopping'));
    await this.#supervisor;
    await this.#close();
  }

  async #open(): Promise<void> {
    const { connection, groupId, topics } = this.#options;
    const consumer = createConsumer(connection, groupId, {
      sessionTimeout: CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: CONSUMER_HEARTBEAT_INTERVAL_MS,
    });
    this.#consumer = consumer;
    // PITFALLS: the default mode ('latest') ignores committed offsets; resume from them, and start a new
    // group at the beginning so nothing published before its first start is missed.
    const stream = await consumer.consume({
      topics: [...topics],
      mode: 'committed',
      fallbackMode: 'earliest',
      maxWaitTime: CONSUMER_MAX_WAIT_MS,
    });
    this.#stream = stream;
    stream.on('data', (record: KafkaRecord) => this.#accept(record));
    this.#healthy = true;
  }

  async #close(): Promise<void> {
    await Promise.all(this.#workers.values());
    this.#queues.clear();
    this.#buffered = 0;
    this.#paused = false;
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    this.#healthy = false;
    await stream?.close().catch(() => {});
    await consumer?.close(true).catch(() => {});
  }

  /** Keeps a member running: a dead stream (the client gave up after its retries) is closed and reopened. */
  async #supervise(): Promise<void> {
    while (this.#running) {
      const died = await new Promise<Error>((resolve) => {
        this.#streamDied = resolve;
        this.#stream?.once('error', resolve);
      });
      if (!this.#running) return;
      this.#healthy = false;
      this.#options.logger.error({ err: died, consumer: this.#options.name }, 'consumer stream failed; restarting');
      await this.#close();
      while (this.#running) {
        await sleep(CONSUMER_RESTART_DELAY_MS);
        try {
          await this.#open();
          break;
        } catch (error) {
          this.#options.logger.warn({ err: error, consumer: this.#options.name }, 'consumer restart failed; retrying');
        }
      }
    }
  }

  #accept(record: KafkaRecord): void {
    const key = `${record.topic}:${record.partition}`;
    const queue = this.#queues.get(key);
    if (queue === undefined) this.#queues.set(key, [record]);
    else queue.push(record);
    this.#buffered++;
    if (!this.#paused && this.#buffered >= (this.#options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED_RECORDS)) {
      this.#paused = true;
      this.#stream?.pause();
    }
    if (!this.#workers.has(key)) {
      // The worker starts on the next turn of the event loop, once the stream has emitted the rest of the
      // fetch: the records that arrived together are then handled as one batch, not the first one alone.
      const started = new Promise<void>((resolve) => setImmediate(resolve));
      this.#workers.set(
        key,
        started.then(() => this.#drain(key)).finally(() => this.#workers.delete(key)),
      );
    }
  }

  /**
   * The worker of one partition: takes its queued records in batches, handles them in order and commits
   * after each batch. Partitions progress independently: a slow partition never holds back the others.
   */
  async #drain(key: string): Promise<void> {
    const maxBatch = this.#options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    const stream = this.#stream;
    while (this.#running) {
      const queue = this.#queues.get(key);
      if (queue === undefined || queue.length === 0) {
        this.#queues.delete(key);
        return;
      }
      const batch = queue.splice(0, maxBatch);
      this.#metrics?.batchSize.observe({ consumer: this.#options.name }, batch.length);
      await this.#processPartition(batch);
      this.#buffered -= batch.length;
      const lowWater = (this.#options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED_RECORDS) / 2;
      if (this.#paused && this.#buffered <= lowWater && this.#running && this.#stream === stream) {
        this.#paused = false;
        stream?.resume();
      }
    }
  }

  async #acquireTransactionSlot(): Promise<void> {
    const limit = this.#options.maxConcurrentTransactions ?? DEFAULT_MAX_CONCURRENT_TRANSACTIONS;
    if (this.#activeTransactions < limit) {
      this.#activeTransactions++;
      return;
    }
    // The slot is handed over by the releasing partition, so the count stays at the limit meanwhile.
    await new Promise<void>((resolve) => this.#waitingForTransaction.push(resolve));
  }

  #releaseTransactionSlot(): void {
    const next = this.#waitingForTransaction.shift();
    if (next === undefined) this.#activeTransactions--;
    else next();
  }

  async #processPartition(records: KafkaRecord[]): Promise<void> {
    let done = 0;
    let committedAt = performance.now();
    while (done < records.length) {
      // Waiting for a retry tier's due time, and committing offsets, happen outside the transaction slot: a
      // slot is held per transaction, so a partition that waits (or a long batch) never keeps others out.
      if (!(await this.#waitUntilDue(records[done] as KafkaRecord))) break;
      await this.#acquireTransactionSlot();
      let handled: number;
      try {
        handled = await this.#processRun(records, done);
      } finally {
        this.#releaseTransactionSlot();
      }
      done += handled;
      if (handled === 0) break;
      // Every record before `done` is committed in the database (or routed), so its offset may be committed.
      if (done < records.length && performance.now() - committedAt >= OFFSET_COMMIT_INTERVAL_MS) {
        await this.#commitOffset(records[done - 1] as KafkaRecord);
        committedAt = performance.now();
      }
    }
    const lastDone = records[done - 1];
    if (lastDone !== undefined) await this.#commitOffset(lastDone);
  }

  async #commitOffset(lastDone: KafkaRecord): Promise<void> {
    try {
      await lastDone.commit();
    } catch (error) {
      // The work is durable and the inbox has it: a redelivery after a failed commit has no second effect.
      this.#options.logger.warn(
        { err: error, consumer: this.#options.name, topic: lastDone.topic, partition: lastDone.partition },
        'offset commit failed; the records will be redelivered and skipped by the inbox',
      );
    }
  }

  /**
   * Deals with the records from `start` on: the longest run of decodable records that are due goes into one
   * transaction; an undecodable record is routed alone. Returns how many records were dealt with, in order
   * (0 only when the runner is stopping).
   */
  async #processRun(records: readonly KafkaRecord[], start: number): Promise<number> {
    const first = records[start] as KafkaRecord;
    if (!(await this.#waitUntilDue(first))) return 0;
    const decoded = this.#options.decode(first);
    if (!decoded.ok) {
      const routed = await this.#route(first, { kind: 'poison', code: decoded.code, message: decoded.reason });
      return routed ? 1 : 0;
    }
    const run: Array<DecodedRecord<Event>> = [{ record: first, decoded }];
    const limit = Math.min(
      this.#options.maxTransactionBatchSize ?? DEFAULT_MAX_TRANSACTION_BATCH_SIZE,
      MAX_SUBTRANSACTIONS - 1,
    );
    const now = Date.now();
    for (let index = start + 1; index < records.length && run.length < limit; index++) {
      const record = records[index] as KafkaRecord;
      const due = this.#options.dueAt?.(record);
      if (due !== undefined && due > now) break;
      const next = this.#options.decode(record);
      if (!next.ok) break;
      run.push({ record, decoded: next });
    }
    if (run.length === 1) return (await this.#processRecord(first, decoded)) ? 1 : 0;
    return this.#processBatch(run);
  }

  /** Waits for a retry tier's record to be due; false when the runner stops first. */
  async #waitUntilDue(record: KafkaRecord): Promise<boolean> {
    const due = this.#options.dueAt?.(record);
    while (due !== undefined && Date.now() < due) {
      if (!this.#running) return false;
      await sleep(Math.min(due - Date.now(), DUE_CHECK_INTERVAL_MS));
    }
    return true;
  }

  /**
   * Handles decoded records of one partition in one transaction, in order. Every record after the first runs
   * under a savepoint, so when one fails for a reason of its own (poison, transient) only its work is undone:
   * the records before it commit (their handlers are never run twice, which matters for handlers with
   * effects outside the database, like a provider's send), the failed record is routed after that commit,
   * and the records after it are left for the next run. An infrastructure failure rolls the whole batch back
   * and retries it in place: nothing of it commits, and no offset. Returns how many records were dealt with.
   */
  async #processBatch(run: ReadonlyArray<DecodedRecord<Event>>): Promise<number> {
    const { name, logger, pool } = this.#options;
    let backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
    while (true) {
      const started = performance.now();
      let failedAt: number | undefined;
      try {
        const result = await inTransaction(pool, async (client) => {
          const inserted = await client.query<{ event_id: string }>(
            `INSERT INTO inbox (consumer, event_id, topic, partition, record_offset)
             SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::integer[], $5::bigint[])
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [
              name,
              run.map((item) => item.decoded.eventId),
              run.map((item) => item.record.topic),
              run.map((item) => item.record.partition),
              run.map((item) => item.record.offset.toString()),
            ],
          );
          // PostgreSQL returns uuids in canonical lower case; event ids are compared the same way.
          const fresh = new Set(inserted.rows.map((row) => row.event_id));
          const outcomes: Array<'processed' | 'duplicate'> = [];
          for (const [index, { record, decoded }] of run.entries()) {
            const eventId = decoded.eventId.toLowerCase();
            if (!fresh.delete(eventId)) {
              outcomes.push('duplicate');
              continue;
            }
            if (index > 0) await client.query('SAVEPOINT batch_record');
            try {
              await withLogContext({ eventId: decoded.eventId, correlationId: decoded.correlationId }, () =>
                this.#options.handle(decoded.event, { client, record, logger, eventId: decoded.eventId }),
              );
              outcomes.push('processed');
            } catch (error) {
              failedAt = index;
              if (index === 0 || classifyFailure(error).kind === 'infrastructure') throw error;
              await client.query('ROLLBACK TO SAVEPOINT batch_record');
              // This record and the ones after it are dealt with after this transaction: their inbox rows
              // must not commit with it.
              await client.query('DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [
                name,
                [eventId, ...fresh],
              ]);
              return { outcomes, failure: toRecordFailure(classifyFailure(error)) };
            }
            // Slow handlers: end the transaction here so its records' offsets can be committed (see
            // OFFSET_COMMIT_INTERVAL_MS); the rest of the run goes into the next one, their inbox rows with it.
            if (index < run.length - 1 && performance.now() - started >= OFFSET_COMMIT_INTERVAL_MS) {
              if (fresh.size > 0) {
                await client.query('DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [
                  name,
                  [...fresh],
                ]);
              }
              return { outcomes, failure: undefined };
            }
          }
          return { outcomes, failure: undefined };
        });
        const { outcomes, failure } = result;
        const perRecord = (performance.now() - started) / 1_000 / Math.max(1, outcomes.length);
        for (const [index, outcome] of outcomes.entries()) {
          const item = run[index] as DecodedRecord<Event>;
          this.#options.afterTransaction?.(item.record);
          this.#metrics?.handlerDuration.observe({ consumer: name }, perRecord);
          this.#metrics?.records.inc({ consumer: name, outcome });
        }
        if (failure === undefined) return outcomes.length;
        const failed = run[outcomes.length] as DecodedRecord<Event>;
        return outcomes.length + ((await this.#route(failed.record, failure)) ? 1 : 0);
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind !== 'infrastructure') {
          // The first record failed on its own (nothing else was done yet): route it, as a lone record would be.
          if (failedAt === 0)
            return (await this.#route(run[0]?.record as KafkaRecord, toRecordFailure(failure))) ? 1 : 0;
          // A failure outside any handler (e.g. an event id the inbox cannot store): let each record meet it alone.
          return this.#processOneByOne(run);
        }
        this.#metrics?.infrastructureRetries.inc({ consumer: name, code: failure.error.code });
        if (!this.#running) return 0;
        logger.warn(
          { err: error, consumer: name, code: failure.error.code, backoffMs: backoff, records: run.length },
          'infrastructure failure; retrying the batch in place',
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, INFRASTRUCTURE_MAX_BACKOFF_MS);
      }
    }
  }

  async #processOneByOne(run: ReadonlyArray<DecodedRecord<Event>>): Promise<number> {
    let done = 0;
    for (const { record, decoded } of run) {
      if (!(await this.#processRecord(record, decoded))) break;
      done++;
    }
    return done;
  }

  /** One record in its own transaction. Returns false only when the runner is stopping before it was dealt with. */
  async #processRecord(record: KafkaRecord, decoded: Extract<Decoded<Event>, { ok: true }>): Promise<boolean> {
    const { name, logger } = this.#options;
    return withLogContext({ eventId: decoded.eventId, correlationId: decoded.correlationId }, async () => {
      let backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
      while (true) {
        const started = performance.now();
        try {
          const outcome = await inTransaction(this.#options.pool, async (client) => {
            const inserted = await client.query(
              `INSERT INTO inbox (consumer, event_id, topic, partition, record_offset) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT DO NOTHING`,
              [name, decoded.eventId, record.topic, record.partition, record.offset.toString()],
            );
            if (inserted.rowCount === 0) return 'duplicate' as const;
            await this.#options.handle(decoded.event, { client, record, logger, eventId: decoded.eventId });
            return 'processed' as const;
          });
          this.#options.afterTransaction?.(record);
          this.#metrics?.handlerDuration.observe({ consumer: name }, (performance.now() - started) / 1_000);
          this.#metrics?.records.inc({ consumer: name, outcome });
          if (outcome === 'duplicate') logger.debug({ consumer: name }, 'duplicate event skipped (inbox)');
          return true;
        } catch (error) {
          const failure = classifyFailure(error);
          if (failure.kind !== 'infrastructure') return this.#route(record, toRecordFailure(failure));
          this.#metrics?.infrastructureRetries.inc({ consumer: name, code: failure.error.code });
          if (!this.#running) return false;
          logger.warn(
            { err: error, consumer: name, code: failure.error.code, backoffMs: backoff },
            'infrastructure failure; retrying in place',
          );
          await sleep(backoff);
          backoff = Math.min(backoff * 2, INFRASTRUCTURE_MAX_BACKOFF_MS);
        }
      }
    });
  }

  /** Hands the record to the failure router, retrying in place while Kafka itself is unavailable. */
  async #route(record: KafkaRecord, failure: RecordFailure): Promise<boolean> {
    const { name, logger } = this.#options;
    let backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
    while (true) {
      try {
        const outcome = await this.#options.failures.route(record, failure);
        this.#metrics?.records.inc({ consumer: name, outcome });
        logger.warn(
          {
            consumer: name,
            code: failure.code,
            reason: failure.message,
            topic: record.topic,
            partition: record.partition,
            offset: String(record.offset),
            outcome,
          },
          'record failed',
        );
        return true;
      } catch (error) {
        if (!this.#running) return false;
        logger.warn({ err: error, consumer: name, backoffMs: backoff }, 'failure routing failed; retrying in place');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, INFRASTRUCTURE_MAX_BACKOFF_MS);
      }
    }
  }
}

interface DecodedRecord<Event> {
  record: KafkaRecord;
  decoded: Extract<Decoded<Event>, { ok: true }>;
}

function toRecordFailure(failure: ClassifiedFailure): RecordFailure {
  return {
    kind: failure.kind === 'transient' ? 'transient' : 'poison',
    code: failure.error.code,
    message: failure.error.message,
    ...(failure.error.stack === undefined ? {} : { stack: failure.error.stack }),
  };
}

function createRunnerMetrics(registry: Registry): RunnerMetrics {
  const existing = (name: string) => registry.getSingleMetric(name);
  return {
    records: (existing('consumer_records_total') ??
      new Counter({
        name: 'consumer_records_total',
        help: 'Records handled by a consumer, by outcome (processed, duplicate, retried, dead-lettered)',
        labelNames: ['consumer', 'outcome'],
        registers: [registry],
      })) as Counter<'consumer' | 'outcome'>,
    handlerDuration: (existing('consumer_handler_duration_seconds') ??
      new Histogram({
        name: 'consumer_handler_duration_seconds',
        help: 'Time to handle one record, database transaction included',
        labelNames: ['consumer'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
        registers: [registry],
      })) as Histogram<'consumer'>,
    batchSize: (existing('consumer_batch_size') ??
      new Histogram({
        name: 'consumer_batch_size',
        help: 'Records per batch taken from the stream',
        labelNames: ['consumer'],
        buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
        registers: [registry],
      })) as Histogram<'consumer'>,
    infrastructureRetries: (existing('consumer_infrastructure_retries_total') ??
      new Counter({
        name: 'consumer_infrastructure_retries_total',
        help: 'In-place retries because our own database or Kafka was unavailable',
        labelNames: ['consumer', 'code'],
        registers: [registry],
      })) as Counter<'consumer' | 'code'>,
  };
}
