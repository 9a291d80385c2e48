import { Counter, Histogram, type Registry } from 'prom-client';
import { DEFAULT_POOL_SIZE } from '../db/pool.ts';
import { classifyFailure } from '../kafka/failure.ts';
import { type BatchOutcome, type FailedRecord, type PreparedRecord, settleBatch } from './batch-transaction.ts';
import { markRecordDuplicate, markRecordFailed, withConsumerSpans } from './consumer-spans.ts';
import { PartitionQueue } from './partition-worker.ts';
import { openRecordSource, partitionKey, type RecordSource } from './ports.ts';
import { Abandoned, retryInPlace, sleep } from './retry-in-place.ts';
import type { ConsumerRunnerOptions, Decoded, KafkaRecord, RecordFailure } from './types.ts';

/**
 * Records of one batch, i.e. of one transaction. Large enough that the fixed cost of a transaction (BEGIN,
 * the inbox statement, COMMIT with its WAL flush, the offset commit) is spread thin at 500 records/s; small
 * enough that a batch's row locks and connection are held for tens of milliseconds, and that a bisection
 * after a failure (about log2(500) ≈ 9 transactions) stays cheap.
 */
export const MAX_BATCH_RECORDS = 500;
/** See `ConsumerRunnerOptions.initialBatchRecords`: nine quick batches reach MAX_BATCH_RECORDS. */
export const INITIAL_BATCH_RECORDS = 1;
/**
 * Records held in memory per partition before it is left out of fetches (two batches' worth: the next batch
 * is ready when one ends). Bounds memory and the uncommitted work a crash hands to the next owner.
 */
export const PARTITION_BUFFER_RECORDS = 2 * MAX_BATCH_RECORDS;
/**
 * A batch's offsets are committed when it settles; a slow handler must not make that rarer than this (the
 * lag monitor judges progress by committed offsets). The batch limit adapts to it: it never exceeds what fits
 * in half of this at the last batch's time per record, and it doubles after each full batch that fitted,
 * from INITIAL_BATCH_RECORDS up to MAX_BATCH_RECORDS.
 */
export const OFFSET_COMMIT_INTERVAL_MS = 1_000;
/**
 * Offsets are sent at most this often per member. A settled batch's offsets are sent at once when none were
 * sent within this time, otherwise they wait (merged, per partition the highest) until it has passed. At a
 * low rate every record is a batch of its own, and an OffsetCommit per batch was a third of the broker's
 * requests (20 orders/s: about 180 of 430 requests/s). Durability is unchanged: only offsets of settled work
 * are ever sent, and a record redelivered because its offset waited is skipped by the inbox.
 */
export const OFFSET_COMMIT_LINGER_MS = 200;
/** Delay before a consumer whose stream died is created again. */
export const CONSUMER_RESTART_DELAY_MS = 2_000;
/** A retry tier waiting for a record's due time re-checks at least this often. */
const DUE_CHECK_INTERVAL_MS = 500;

interface RunnerMetrics {
  records: Counter<'consumer' | 'outcome'>;
  handlerDuration: Histogram<'consumer'>;
  batchSize: Histogram<'consumer'>;
  infrastructureRetries: Counter<'consumer' | 'code'>;
}

/**
 * Runs one consumer group member. Invariants:
 * - a partition's offset is committed only after every record before it was handled in a committed
 *   transaction, was a duplicate, or was handed to the failure router and acknowledged there; and only
 *   while this member owns the partition;
 * - records of one partition are handled in order, one batch at a time; a batch takes the due records of
 *   every partition that is not in a batch already (fairly shared), so a busy partition never holds back
 *   another, and a retry tier's partition waiting for a due time holds back nothing;
 * - one batch is one transaction (split only to isolate a failing record), with one inbox statement;
 * - infrastructure failures are retried in place, with backoff, for as long as the runner runs and keeps
 *   its partitions; only per-record failures (poison, transient) leave a partition, through the router,
 *   after the transaction and never while holding a connection.
 */
export class ConsumerRunner<Event> {
  readonly #options: ConsumerRunnerOptions<Event>;
  readonly #metrics: RunnerMetrics | undefined;
  readonly #maxBatch: number;
  readonly #bufferShare: number;
  readonly #maxConcurrent: number;
  /** Counts dispatched batches; a partition remembers the batch it was last in, for fairness. */
  #dispatched = 0;
  #source: RecordSource | undefined;
  #partitions = new Map<string, PartitionQueue>();
  #batches = new Set<Promise<void>>();
  /**
   * Batches in their transaction phase (settling), at most #maxConcurrent. A batch leaves it once its
   * transactions are done, before it routes its failures: routing may retry for as long as Kafka is down,
   * and must not keep another partition's batch from its transaction meanwhile. The batch's partitions stay
   * busy until its offsets are sent, so nothing of theirs moves past a record not yet routed.
   */
  #transacting = 0;
  /** Offset commits sent and not answered yet; `stop` waits for them. */
  #commits = new Set<Promise<void>>();
  /** Per partition, the last settled record whose offset waits for the linger (OFFSET_COMMIT_LINGER_MS). */
  #pendingCommits = new Map<string, KafkaRecord>();
  #commitTimer: NodeJS.Timeout | undefined;
  /** When offsets were last sent (performance.now()). */
  #lastCommitSent = Number.NEGATIVE_INFINITY;
  /** Changes when the stream is reopened: batches of an older stream give up instead of retrying. */
  #generation = 0;
  /** Records per batch now (see OFFSET_COMMIT_INTERVAL_MS); set in the constructor. */
  #batchLimit: number;
  #dispatchScheduled = false;
  #dueTimer: NodeJS.Timeout | undefined;
  #running = false;
  #healthy = false;
  #supervisor: Promise<void> | undefined;
  #stopSignal: (() => void) | undefined;
  /** Restarts the stream from the committed offsets (a batch failed in a way that leaves nothing to skip to). */
  #breakStream: ((error: Error) => void) | undefined;

  constructor(options: ConsumerRunnerOptions<Event>) {
    this.#options = options;
    this.#metrics = options.registry === undefined ? undefined : createRunnerMetrics(options.registry);
    this.#maxBatch = Math.max(1, options.maxBatchRecords ?? MAX_BATCH_RECORDS);
    this.#bufferShare = Math.max(1, options.partitionBufferRecords ?? PARTITION_BUFFER_RECORDS);
    this.#batchLimit = Math.min(this.#maxBatch, Math.max(1, options.initialBatchRecords ?? INITIAL_BATCH_RECORDS));
    this.#maxConcurrent =
      options.maxConcurrentBatches ?? Math.max(1, Math.floor((options.pool.options.max ?? DEFAULT_POOL_SIZE) / 2));
  }

  /** True while the stream is consuming; false while it is being restarted after an error. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Whether this member owns the partition now (false while the stream is being restarted). */
  owns(topic: string, partition: number): boolean {
    return this.#source?.owns(topic, partition) ?? false;
  }

  /** Joins the group and starts consuming; resolves once the first stream is running. */
  async start(): Promise<void> {
    this.#running = true;
    try {
      await this.#open();
    } catch (error) {
      // `openRecordSource` closed its own client: nothing of this member is left to stop.
      this.#running = false;
      throw error;
    }
    this.#supervisor = this.#supervise();
  }

  /** Stops fetching, lets the batches in flight settle and commit (infrastructure retries give up), leaves. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopSignal?.();
    await this.#supervisor;
    await this.#close();
  }

  async #open(): Promise<void> {
    const { connection, groupId, topics } = this.#options;
    this.#source = await (this.#options.openSource ?? openRecordSource)({
      connection,
      groupId,
      topics,
      ...(this.#options.maxWaitMs === undefined ? {} : { maxWaitMs: this.#options.maxWaitMs }),
      isFull: (key) => (this.#partitions.get(key)?.size ?? 0) >= this.#bufferShare,
      onRecord: (record) => this.#accept(record),
      onRebalance: () => this.#rebalanced(),
      logger: this.#options.logger,
    });
    this.#logAssignment();
    this.#healthy = true;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#dueTimer);
    await Promise.all(this.#batches);
    this.#flushCommits();
    await Promise.all(this.#commits);
    this.#partitions.clear();
    const source = this.#source;
    this.#source = undefined;
    this.#healthy = false;
    await source?.close();
  }

  /** Keeps a member running: a dead stream (the client gave up after its retries) is closed and reopened. */
  async #supervise(): Promise<void> {
    while (this.#running) {
      const stopped = new Promise<undefined>((resolve) => {
        this.#stopSignal = () => resolve(undefined);
      });
      const broken = new Promise<Error>((resolve) => {
        this.#breakStream = resolve;
      });
      const died = await Promise.race([this.#source?.died ?? stopped, broken, stopped]);
      if (!this.#running || died === undefined) return;
      this.#healthy = false;
      this.#generation++;
      this.#options.logger.error({ err: died, consumer: this.#options.name }, 'consumer stream failed; restarting');
      await this.#close();
      while (this.#running) {
        await Promise.race([sleep(CONSUMER_RESTART_DELAY_MS), stopped]);
        if (!this.#running) return;
        try {
          await this.#open();
          break;
        } catch (error) {
          this.#options.logger.warn({ err: error, consumer: this.#options.name }, 'consumer restart failed; retrying');
        }
      }
    }
  }

  /**
   * After a rebalance: the queued work of partitions no longer owned is dropped (their new owner starts from
   * the committed offset), and their fetch position is moved back to the first record not committed here,
   * should they be assigned back. A batch in flight finishes; it commits offsets for owned partitions only.
   */
  #rebalanced(): void {
    const source = this.#source;
    if (source === undefined) return;
    this.#logAssignment();
    // A queued offset of a partition that is another member's now could move that member's offset back.
    for (const [key, record] of this.#pendingCommits) {
      if (!source.owns(record.topic, record.partition)) this.#pendingCommits.delete(key);
    }
    for (const queue of this.#partitions.values()) {
      if (source.owns(queue.topic, queue.partition)) continue;
      const from = queue.revoke();
      if (from !== undefined) source.rewind(queue.topic, queue.partition, from);
    }
    source.wake();
  }

  #logAssignment(): void {
    const assigned = this.#source?.assigned() ?? [];
    this.#options.logger.info({ consumer: this.#options.name, group: this.#options.groupId, assigned }, 'group joined');
  }

  #accept(record: KafkaRecord): void {
    if (!this.#running) return;
    // Stale data of a partition this member no longer owns (a fetch that started before a rebalance).
    if (this.#source !== undefined && !this.#source.owns(record.topic, record.partition)) return;
    const key = partitionKey(record.topic, record.partition);
    let queue = this.#partitions.get(key);
    if (queue === undefined) {
      queue = new PartitionQueue(key, record.topic, record.partition);
      this.#partitions.set(key, queue);
    }
    if (queue.push(record)) this.#scheduleDispatch();
    const due = this.#options.dueAt?.(record);
    if (due !== undefined) {
      this.#options.logger.debug(
        { consumer: this.#options.name, topic: record.topic, partition: record.partition, dueInMs: due - Date.now() },
        'retry record fetched',
      );
    }
  }

  /**
   * Dispatching waits for the next turn of the event loop, once the stream has emitted the rest of the
   * fetch: the records that arrived together are then handled as one batch, not the first one alone.
   */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (!this.#running) return;
    const { dueAt } = this.#options;
    while (this.#transacting < this.#maxConcurrent) {
      const now = Date.now();
      const ready = [...this.#partitions.values()].filter(
        (queue) =>
          !queue.busy &&
          queue.size > 0 &&
          queue.headDueAt(dueAt, now) === undefined &&
          this.#source?.owns(queue.topic, queue.partition) === true,
      );
      if (ready.length === 0) break;
      // The partitions served longest ago first, so a batch limit below the number of ready partitions (a
      // slow handler) or the concurrency cap never starves one of them.
      ready.sort((a, b) => a.lastBatch - b.lastBatch);
      // A fair share of the batch for each ready partition first, then what is left to those with more.
      const limit = Math.min(this.#batchLimit, this.#maxBatch);
      const share = Math.max(1, Math.floor(limit / ready.length));
      const taken = new Map<PartitionQueue, KafkaRecord[]>();
      let room = limit;
      for (const queue of ready) {
        if (room === 0) break;
        const records = queue.take(Math.min(share, room), dueAt, now);
        room -= records.length;
        taken.set(queue, records);
      }
      for (const queue of ready) {
        if (room === 0) break;
        const more = queue.take(room, dueAt, now);
        room -= more.length;
        taken.get(queue)?.push(...more);
      }
      const batch: KafkaRecord[] = [];
      const members: PartitionQueue[] = [];
      for (const [queue, records] of taken) {
        if (records.length === 0) continue;
        queue.busy = true;
        queue.lastBatch = this.#dispatched;
        queue.inFlightFrom = (records[0] as KafkaRecord).offset;
        members.push(queue);
        batch.push(...records);
      }
      if (batch.length === 0) break;
      this.#dispatched++;
      // The partitions that had a full buffer may have room now.
      this.#source?.wake();
      const generation = this.#generation;
      this.#transacting++;
      let transacting = true;
      const settled = () => {
        if (!transacting) return;
        transacting = false;
        this.#transacting--;
        this.#scheduleDispatch();
      };
      const running: Promise<void> = withConsumerSpans(this.#options.tracer, this.#options.groupId, batch, () =>
        this.#runBatch(batch, generation, settled),
      )
        .catch((error) => {
          // Its records are neither settled nor queued any more: moving on would let a later batch commit an
          // offset past them. Start over from the committed offsets instead (the inbox skips what is done).
          this.#breakStream?.(new Error('a batch failed unexpectedly', { cause: error }));
        })
        .finally(() => {
          settled();
          for (const queue of members) {
            queue.busy = false;
            queue.inFlightFrom = undefined;
          }
          this.#batches.delete(running);
          this.#scheduleDispatch();
        });
      this.#batches.add(running);
    }
    this.#scheduleDueCheck();
  }

  /** Re-dispatches when the earliest waiting retry-tier record becomes due. */
  #scheduleDueCheck(): void {
    clearTimeout(this.#dueTimer);
    const { dueAt } = this.#options;
    if (dueAt === undefined) return;
    const now = Date.now();
    let earliest: number | undefined;
    for (const queue of this.#partitions.values()) {
      if (queue.busy) continue;
      const due = queue.headDueAt(dueAt, now);
      if (due !== undefined && (earliest === undefined || due < earliest)) earliest = due;
    }
    if (earliest === undefined) return;
    this.#dueTimer = setTimeout(() => this.#scheduleDispatch(), Math.min(earliest - now, DUE_CHECK_INTERVAL_MS));
  }

  /**
   * Decodes, settles (transactions), routes the failures, then commits each partition's offset once. A
   * batch abandoned (stop, rebalance) during its retries commits no offset past what it did not settle.
   *
   * The batch ends when its offsets are queued, not when the broker answers: the partition's next batch need
   * not wait a round trip for an offset that only bounds redelivery. The queue is sent at most every
   * OFFSET_COMMIT_LINGER_MS, and the client keeps one OffsetCommit in flight per member and merges what is
   * queued meanwhile (per partition, the highest offset), so commits of consecutive batches go out in order,
   * several partitions and batches in one request.
   */
  async #runBatch(records: readonly KafkaRecord[], generation: number, settled: () => void): Promise<void> {
    const { name, logger } = this.#options;
    const keepGoing = () => this.#running && this.#generation === generation;
    this.#metrics?.batchSize.observe({ consumer: name }, records.length);
    const prepared: Array<PreparedRecord<Event>> = [];
    const failed: FailedRecord[] = [];
    for (const record of records) {
      const decoded = this.#decode(record);
      if (decoded.ok) prepared.push({ record, decoded });
      else failed.push({ record, failure: { kind: 'poison', code: decoded.code, message: decoded.reason } });
    }
    const dealt = new Set<KafkaRecord>();
    let outcome: BatchOutcome | undefined;
    try {
      outcome =
        prepared.length === 0
          ? { processed: [], duplicates: [], failed: [] }
          : await settleBatch(
              {
                name,
                pool: this.#options.pool,
                logger,
                handleBatch: this.#options.handleBatch,
                keepGoing,
                onInfrastructureRetry: (code) => this.#metrics?.infrastructureRetries.inc({ consumer: name, code }),
                onCommitted: (count, durationMs) => this.#adaptBatchLimit(count, durationMs),
              },
              prepared,
            );
    } catch (error) {
      if (error instanceof Abandoned) return;
      throw error;
    }
    // No transaction of this batch is left: its slot goes to the next batch while this one routes.
    settled();
    for (const record of outcome.processed) {
      this.#options.afterTransaction?.(record);
      this.#metrics?.records.inc({ consumer: name, outcome: 'processed' });
      dealt.add(record);
    }
    for (const record of outcome.duplicates) {
      markRecordDuplicate(record);
      this.#metrics?.records.inc({ consumer: name, outcome: 'duplicate' });
      dealt.add(record);
    }
    if (outcome.duplicates.length > 0) {
      logger.debug({ consumer: name, duplicates: outcome.duplicates.length }, 'duplicate events skipped (inbox)');
    }
    failed.push(...outcome.failed);
    try {
      for (const { record, failure } of failed) {
        await this.#route(record, failure, keepGoing);
        dealt.add(record);
      }
    } catch (error) {
      if (!(error instanceof Abandoned)) throw error;
    }
    this.#queueOffsets(records, dealt);
  }

  /** A decoder that throws (rather than report) is treated as having reported the record undecodable. */
  #decode(record: KafkaRecord): Decoded<Event> {
    try {
      return this.#options.decode(record);
    } catch (error) {
      const failure = classifyFailure(error).error;
      return { ok: false, code: failure.code, reason: failure.message };
    }
  }

  /**
   * Queues, per partition, the offset after the last record of its settled prefix in this batch, and sends
   * the queue now or when the linger since the last send has passed (OFFSET_COMMIT_LINGER_MS).
   */
  #queueOffsets(records: readonly KafkaRecord[], dealt: ReadonlySet<KafkaRecord>): void {
    const blocked = new Set<string>();
    for (const record of records) {
      const key = partitionKey(record.topic, record.partition);
      if (blocked.has(key)) continue;
      if (!dealt.has(record)) {
        blocked.add(key);
        continue;
      }
      const queued = this.#pendingCommits.get(key);
      if (queued === undefined || queued.offset < record.offset) this.#pendingCommits.set(key, record);
    }
    if (this.#pendingCommits.size === 0 || this.#commitTimer !== undefined) return;
    const wait = this.#lastCommitSent + OFFSET_COMMIT_LINGER_MS - performance.now();
    if (wait <= 0) {
      this.#flushCommits();
      return;
    }
    this.#commitTimer = setTimeout(() => this.#flushCommits(), wait);
  }

  /** Sends the queued offsets (see `#queueOffsets`); `stop` and a stream restart send them before closing. */
  #flushCommits(): void {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (this.#pendingCommits.size === 0) return;
    const records = [...this.#pendingCommits.values()];
    this.#pendingCommits.clear();
    this.#lastCommitSent = performance.now();
    const committing = this.#commitOffsets(records).finally(() => this.#commits.delete(committing));
    this.#commits.add(committing);
  }

  /** Commits the offset after each of `records` (one per partition), for the partitions still owned. */
  async #commitOffsets(records: readonly KafkaRecord[]): Promise<void> {
    const source = this.#source;
    if (source === undefined) return;
    await Promise.all(
      records.map(async (record) => {
        // A partition revoked meanwhile is its new owner's: committing for it could move its offset back.
        if (!source.owns(record.topic, record.partition)) return;
        try {
          await source.commit(record);
        } catch (error) {
          // The work is durable and the inbox has it: a redelivery after a failed commit has no second effect.
          this.#options.logger.warn(
            { err: error, consumer: this.#options.name, topic: record.topic, partition: record.partition },
            'offset commit failed; the records will be redelivered and skipped by the inbox',
          );
        }
      }),
    );
  }

  #adaptBatchLimit(records: number, durationMs: number): void {
    const perRecord = durationMs / Math.max(1, records);
    // What fits in half the interval at this batch's pace (its fixed cost included, so a small batch
    // overstates the time per record; the doubling makes up for that within a few batches).
    const fits = Math.max(1, Math.floor(OFFSET_COMMIT_INTERVAL_MS / 2 / Math.max(perRecord, 0.001)));
    const grown = records >= this.#batchLimit ? this.#batchLimit * 2 : this.#batchLimit;
    this.#batchLimit = Math.max(1, Math.min(this.#maxBatch, grown, fits));
    this.#metrics?.handlerDuration.observe({ consumer: this.#options.name }, perRecord / 1_000);
  }

  /** Hands a record to the failure router, retrying in place (no connection held) while Kafka is unavailable. */
  async #route(record: KafkaRecord, failure: RecordFailure, keepGoing: () => boolean): Promise<void> {
    const { name, logger } = this.#options;
    markRecordFailed(record, failure);
    const outcome = await retryInPlace(() => this.#options.failures.route(record, failure), {
      keepGoing,
      retryable: () => true,
      logger,
      what: 'failure routing failed; retrying in place',
      onRetry: (error) =>
        this.#metrics?.infrastructureRetries.inc({ consumer: name, code: classifyFailure(error).error.code }),
    });
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
  }
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
        help: "Time to handle one record: its batch transaction's duration divided by the batch's records",
        labelNames: ['consumer'],
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
        registers: [registry],
      })) as Histogram<'consumer'>,
    batchSize: (existing('consumer_batch_size') ??
      new Histogram({
        name: 'consumer_batch_size',
        help: 'Records per batch (one transaction unless a failure splits it)',
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
