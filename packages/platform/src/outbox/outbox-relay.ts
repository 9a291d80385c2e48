import { type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { HEADERS } from '@shop/contracts';
import pg from 'pg';
import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import { INFRASTRUCTURE_MIN_BACKOFF_MS, nextBackoffMs } from '../backoff.ts';
import { DB_CONNECT_TIMEOUT_MS, type Pool } from '../db/pool.ts';
import { classifyError } from '../errors.ts';
import { KAFKA_CLIENT_MAX_RETRY_DELAY_MS, type KafkaProducer } from '../kafka/clients.ts';
import { kafkaErrorCounts } from '../kafka/error-summary.ts';
import type { Logger } from '../logger.ts';
import { scrapeGauge } from '../metrics/scrape-gauge.ts';
import { remoteParent, traceHeadersOf } from '../tracing.ts';
import { onOutboxCommit } from './outbox-signal.ts';

/** Rows published per Kafka request; one `send` carries the whole batch. */
export const DEFAULT_OUTBOX_BATCH_SIZE = 500;
/**
 * Adaptive poll of the leader, for rows no in-process signal announces (another instance of the service on
 * the same database, a transaction run outside `inTransaction`): right after the relay found rows it polls
 * again after the minimum, and each empty poll doubles the wait up to the maximum. The maximum is also how
 * often a standby tries to lead.
 *
 * Measured with packages/platform/test/outbox/relay-cost.measure.ts on the shared 2-core machine (load
 * average ~10, so take the numbers as orders of magnitude). Idle, leader and standby on one empty outbox for
 * 30 s: 2.0 statements/s (the leader's poll at its maximum and the standby's lead attempt), 70-80 ms CPU in
 * the process (0 ms without relays) and 10-30 ms in its backends; the LISTEN/NOTIFY relay this replaced
 * cost the same (1.9 statements/s, 50-60 ms, 10-30 ms), so the minimum costs nothing while idle. Commit ->
 * broker acknowledgement of one row: committed through `inTransaction` in this process, p50 5-11 ms (the
 * signal wakes the relay at once); committed by another connection within a second of earlier activity,
 * p50 24 ms, max 90 ms; the same after 3 s idle, p50 430 ms, max 650 ms, bounded by the maximum (1 s).
 * Halving the maximum would halve that wait and double the idle statements; neither matters under load,
 * where every pass finds rows and the poll stays at its minimum.
 */
export const DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS = 50;
/** See DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS. */
export const DEFAULT_OUTBOX_POLL_INTERVAL_MS = 1_000;
/**
 * Session advisory lock that makes exactly one relay per database the publisher. A single publisher keeps
 * per-key order (two relays claiming rows with SKIP LOCKED could publish a key's later event first) and a
 * standby takes over as soon as the leader's session ends.
 */
export const OUTBOX_LEADER_LOCK_KEY = 727_002;
/**
 * After a batch was acknowledged, how long the relay waits for a commit signal before it reads again. The
 * read that follows carries the delete of the acknowledged batch (one round trip per batch instead of two),
 * so on an idle database the delete follows this late.
 */
export const OUTBOX_DELETE_LINGER_MS = 50;

export interface OutboxRelayOptions {
  /** Pool of the service's database, for reading and deleting rows; commits signalled on it wake the relay. */
  pool: Pool;
  /** URL of the same database, for the dedicated session that holds the leader lock. */
  databaseUrl: string;
  producer: KafkaProducer;
  logger: Logger;
  /** Default: DEFAULT_OUTBOX_BATCH_SIZE. */
  batchSize?: number;
  /**
   * Longest wait between two polls of an idle outbox, and between two attempts of a standby to lead.
   * Default: DEFAULT_OUTBOX_POLL_INTERVAL_MS.
   */
  pollIntervalMs?: number;
  /**
   * Wait before the first poll after activity; doubles with each empty poll up to `pollIntervalMs` (and is
   * capped by it). Default: DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS.
   */
  minPollIntervalMs?: number;
  /** Registry for the relay's metrics. Default: none (metrics are not exported). */
  registry?: Registry;
  /** Service name, as the `service` label of the metrics. */
  service: string;
  /**
   * Makes a producer span per published row, a child of the row's stored traceparent, and publishes the
   * row with that span as its traceparent. Default: none (no spans; the stored headers go out unchanged).
   */
  tracer?: Tracer;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  payload: Buffer;
  headers: Record<string, string>;
  created_at: Date;
}

/**
 * Publishes the outbox to Kafka. Invariants:
 * - a row is deleted only after the broker acknowledged it (idempotent producer, acks=all), so a crash
 *   between the two republishes it: at-least-once, de-duplicated by the consumers' inbox on the event id;
 * - rows are read by what is visible now, not by "id greater than the last one seen", so a transaction
 *   that took a lower id but committed later is published on a later pass instead of being skipped;
 * - only the leader publishes, in id order, in batches: per-key order is the order of commit. Leadership is
 *   a session advisory lock on a dedicated connection: when that session ends (the process died, the
 *   connection was cut or terminated), the lock is released and a standby takes over on its next attempt;
 * - the delete of an acknowledged batch rides on the statement that reads the next one (or follows within
 *   OUTBOX_DELETE_LINGER_MS when nothing comes); until then those rows are excluded from reads, and a crash
 *   or a change of leader in between republishes them (at-least-once, as above);
 * - no business transaction notifies: commits made through `inTransaction` in this process wake the relay
 *   (outbox-signal.ts), the adaptive poll finds the others, and a wake that arrives while the relay is busy
 *   is kept, so the relay reads again as soon as the pass in flight ends.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'registry' | 'tracer'>> & Pick<OutboxRelayOptions, 'tracer'>;
  readonly #metrics: RelayMetrics | undefined;
  #running = false;
  #session: pg.Client | undefined;
  #leader = false;
  /** Ends the sleep in progress, if any; unset whenever no sleep is in progress. */
  #endSleep: (() => void) | undefined;
  /** A wake arrived and no read has started since: the next sleep returns at once instead of missing it. */
  #woken = false;
  /** The last pass failed in its Kafka send (not in PostgreSQL). */
  #sendFailed = false;
  /** Sleeping after a failed pass: commit signals do not end that sleep (stop and a lost session do). */
  #backingOff = false;
  #stopListening: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** Ids the broker acknowledged and that are not deleted yet. */
  #acknowledged: string[] = [];

  constructor(options: OutboxRelayOptions) {
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_OUTBOX_POLL_INTERVAL_MS;
    this.#options = {
      batchSize: DEFAULT_OUTBOX_BATCH_SIZE,
      ...options,
      pollIntervalMs,
      minPollIntervalMs: Math.min(options.minPollIntervalMs ?? DEFAULT_OUTBOX_MIN_POLL_INTERVAL_MS, pollIntervalMs),
    };
    this.#metrics =
      options.registry === undefined
        ? undefined
        : createRelayMetrics(options.registry, options.pool, options.service, options.logger);
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    // A standby ignores commit signals: it cannot publish, and a wake would only cost it a lead attempt.
    // Nor does a relay backing off after a failure: a wake per commit would retry a broker or database
    // that just failed once per commit instead of backing off.
    this.#stopListening = onOutboxCommit(this.#options.pool, () => {
      if (this.#leader && !this.#backingOff) this.#wake();
    });
    this.#loop = this.#run();
  }

  /** Stops after the batch in flight (if any) is acknowledged and deleted, then releases leadership. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopListening?.();
    this.#stopListening = undefined;
    this.#wake();
    await this.#loop;
    await this.#deleteAcknowledged().catch((error) => {
      // Left in the table, they are published again by the next leader: duplicates the inbox absorbs.
      this.#options.logger.warn({ err: error }, 'outbox relay could not delete its last acknowledged batch');
    });
    await this.#dropSession();
  }

  async #run(): Promise<void> {
    const { logger, pollIntervalMs, minPollIntervalMs, batchSize } = this.#options;
    // While Kafka or PostgreSQL is unavailable: the platform's one backoff policy (backoff.ts).
    let backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
    let idlePoll = minPollIntervalMs;
    while (this.#running) {
      try {
        if (!this.#leader) {
          // Rows acknowledged while leading are deleted first, even when leading again fails (the database
          // refuses this relay's session): left behind, they would all be published again by the next leader.
          await this.#deleteAcknowledged();
          await this.#tryToLead();
        }
        if (!this.#leader) {
          await this.#sleep(pollIntervalMs);
          continue;
        }
        const published = await this.publishBatch();
        backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
        if (published === batchSize) {
          // A full batch means more is waiting: go again at once.
          idlePoll = minPollIntervalMs;
        } else if (published > 0) {
          // A commit signalled within the linger lets the next read carry the delete; otherwise the read
          // after the linger does, and also polls for rows nobody signalled.
          idlePoll = minPollIntervalMs;
          await this.#sleep(OUTBOX_DELETE_LINGER_MS);
        } else {
          // Nothing to publish: poll less often the longer the outbox stays empty.
          await this.#sleep(idlePoll);
          idlePoll = Math.min(idlePoll * 2, pollIntervalMs);
        }
      } catch (error) {
        const classified = classifyError(error);
        logger.warn(
          { err: error, code: classified.code, kafkaErrors: kafkaErrorCounts(error), backoffMs: backoff },
          'outbox relay pass failed; retrying',
        );
        this.#metrics?.failures.inc();
        // Commits signalled during the failed pass are read after the backoff, with everything else.
        this.#woken = false;
        this.#backingOff = true;
        await this.#sleep(backoff);
        this.#backingOff = false;
        // A failed send is planned again on fresh metadata by the next pass (KAFKA_SERVICE_SEND_RETRIES):
        // waits as short as the client's own between attempts, so a pass follows soon after an election.
        backoff = nextBackoffMs(backoff, this.#sendFailed ? KAFKA_CLIENT_MAX_RETRY_DELAY_MS : undefined);
      }
    }
  }

  /**
   * Publishes up to one batch and deletes what was acknowledged. Returns how many rows were published.
   * Exposed for tests; in a service the loop started by `start()` calls it.
   */
  async publishBatch(): Promise<number> {
    const { pool, producer, batchSize } = this.#options;
    this.#sendFailed = false;
    const acknowledged = this.#acknowledged;
    // This read sees every commit signalled so far; a signal from here on makes the relay read again.
    this.#woken = false;
    // The SELECT sees the table as it was before the DELETE beside it (one snapshot), hence the exclusion.
    const { rows } = await pool.query<OutboxRow>(
      `WITH acknowledged AS (DELETE FROM outbox WHERE id = ANY($2::bigint[]))
       SELECT id, topic, message_key, payload, headers, created_at FROM outbox
       WHERE id <> ALL($2::bigint[]) ORDER BY id LIMIT $1`,
      [batchSize, acknowledged],
    );
    this.#acknowledged = [];
    this.#metrics?.published.inc(acknowledged.length);
    if (rows.length === 0) return 0;
    const started = performance.now();
    const spans = this.#options.tracer === undefined ? undefined : startProducerSpans(this.#options.tracer, rows);
    try {
      await producer.send({
        messages: rows.map((row, index) => ({
          topic: row.topic,
          key: row.message_key,
          value: row.payload,
          headers: new Map(
            Object.entries(spans === undefined ? row.headers : withTraceOf(row.headers, spans[index] as Span)).map(
              ([name, value]) => [name, Buffer.from(value)],
            ),
          ),
        })),
      });
    } catch (error) {
      this.#sendFailed = true;
      endProducerSpans(spans, error);
      throw error;
    }
    endProducerSpans(spans);
    this.#metrics?.publishDuration.observe((performance.now() - started) / 1_000);
    this.#acknowledged = rows.map((row) => row.id);
    return rows.length;
  }

  /** Deletes the acknowledged rows not deleted yet (a relay that has nothing to read next, or is stopping). */
  async #deleteAcknowledged(): Promise<void> {
    const acknowledged = this.#acknowledged;
    if (acknowledged.length === 0) return;
    await this.#options.pool.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [acknowledged]);
    this.#acknowledged = [];
    this.#metrics?.published.inc(acknowledged.length);
  }

  async #tryToLead(): Promise<void> {
    if (this.#session === undefined) {
      const session = new pg.Client({
        connectionString: this.#options.databaseUrl,
        connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
        // The session sits idle for as long as it leads: keepalives make a dead peer end it (and with it the
        // lock, on the server's side) instead of leaving it open forever.
        keepAlive: true,
      });
      const lost = (error?: Error) => {
        if (this.#session !== session) return; // ended on purpose (#dropSession), or already handled
        // The session is gone, and with it the lock: stop publishing until a new session leads again.
        this.#options.logger.warn({ err: error }, 'outbox relay lost its leader session');
        this.#leader = false;
        this.#session = undefined;
        this.#wake();
      };
      session.on('error', lost);
      session.on('end', () => lost());
      await session.connect().catch(async (error: unknown) => {
        await session.end().catch(() => {});
        throw error;
      });
      this.#session = session;
    }
    const { rows } = await this.#session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      OUTBOX_LEADER_LOCK_KEY,
    ]);
    this.#leader = rows[0]?.locked === true;
    if (this.#leader) this.#options.logger.info('outbox relay is the leader for this database');
  }

  async #dropSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#leader = false;
    // Ending the session releases the advisory lock, so a standby can lead at once.
    await session?.end().catch(() => {});
  }

  /** Ends the sleep in progress, or, when the relay is busy, the next one before it starts. */
  #wake(): void {
    this.#woken = true;
    this.#endSleep?.();
  }

  /** Resolves true when woken (a commit signal, the session lost, stop), false when the time ran out. */
  #sleep(ms: number): Promise<boolean> {
    if (this.#woken || !this.#running) {
      this.#woken = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Unset, or a wake during the pass that follows would end this finished sleep and be lost.
        this.#endSleep = undefined;
        resolve(false);
      }, ms);
      this.#endSleep = () => {
        clearTimeout(timer);
        this.#endSleep = undefined;
        this.#woken = false;
        resolve(true);
      };
    });
  }
}

/** One producer span per row (`send <topic>`), each a child of the context the row's event was written in. */
function startProducerSpans(tracer: Tracer, rows: readonly OutboxRow[]): Span[] {
  const now = Date.now();
  return rows.map((row) =>
    tracer.startSpan(
      `send ${row.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': row.topic,
          'messaging.kafka.message.key': row.message_key,
          ...(row.headers[HEADERS.eventId] === undefined
            ? {}
            : { 'messaging.message.id': row.headers[HEADERS.eventId] }),
          // Time from the commit that wrote the row to this read: the outbox's share of the hop's latency.
          'shop.outbox.wait_ms': Math.max(0, now - row.created_at.getTime()),
        },
      },
      remoteParent(row.headers[HEADERS.traceparent], row.headers[HEADERS.tracestate]),
    ),
  );
}

/** The row's headers with its producer span as the trace parent: consumers continue the trace from the send. */
function withTraceOf(headers: Record<string, string>, span: Span): Record<string, string> {
  const { [HEADERS.tracestate]: _state, ...rest } = headers;
  return { ...rest, ...traceHeadersOf(span) };
}

function endProducerSpans(spans: Span[] | undefined, error?: unknown): void {
  if (spans === undefined) return;
  for (const span of spans) {
    if (error !== undefined) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    }
    span.end();
  }
}

interface RelayMetrics {
  published: { inc(value?: number): void };
  failures: { inc(value?: number): void };
  publishDuration: { observe(value: number): void };
}

function createRelayMetrics(registry: Registry, pool: Pool, service: string, logger: Logger): RelayMetrics {
  const labels = { service };
  const published = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox rows published to Kafka and deleted',
    registers: [registry],
    labelNames: ['service'],
  });
  const failures = new Counter({
    name: 'outbox_relay_failures_total',
    help: 'Relay passes that failed and were retried',
    registers: [registry],
    labelNames: ['service'],
  });
  const publishDuration = new Histogram({
    name: 'outbox_publish_duration_seconds',
    help: 'Time from sending a batch to its acknowledgement by the broker (acks=all)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
    labelNames: ['service'],
  });
  // Backlog and age are read from the table when scraped, so they are right even while the relay is stuck;
  // with the database down they keep their last values and the scrape still answers (scrape-gauge.ts).
  scrapeGauge({
    name: 'outbox_backlog',
    help: 'Rows in the outbox not yet published',
    registry,
    logger,
    labelNames: ['service'],
    async read() {
      const { rows } = await pool.query<{ count: string }>('SELECT count(*) AS count FROM outbox');
      return [{ labels, value: Number(rows[0]?.count ?? 0) }];
    },
  });
  scrapeGauge({
    name: 'outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when empty)',
    registry,
    logger,
    labelNames: ['service'],
    async read() {
      const { rows } = await pool.query<{ age: number | null }>(
        'SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS age FROM outbox',
      );
      return [{ labels, value: rows[0]?.age ?? 0 }];
    },
  });
  return {
    published: published.labels(labels),
    failures: failures.labels(labels),
    publishDuration: publishDuration.labels(labels),
  };
}
