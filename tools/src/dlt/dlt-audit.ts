import { fileURLToPath } from 'node:url';
import { FAILURE_HEADERS } from '@shop/contracts';
import {
  createPool,
  databaseUrl,
  ensureDatabase,
  inTransaction,
  type MigrationSource,
  migrate,
  type Pool,
} from '@shop/platform';
import { eventIdOf, headerText } from './dead-letter.ts';
import type { AuditEntry, ReplayAuditPort } from './dlt-replay.ts';

/** Database of the operator tools' own tables (the replay audit), on the services' PostgreSQL server. */
export const DEFAULT_AUDIT_DATABASE = 'tools';
/** The CLI opens a few connections at most: one audit transaction at a time, plus reads. */
const AUDIT_POOL_SIZE = 2;

export const DLT_AUDIT_MIGRATIONS: MigrationSource = {
  name: 'tools-dlt',
  directory: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** One replay run, as recorded when it starts. */
export interface ReplayRun {
  readonly runId: string;
  readonly operator: string;
  readonly namespace: string;
  readonly filters: string;
  readonly target: string;
  readonly maxReplays: number;
  readonly forced: boolean;
  /** Records per second the run replays at. */
  readonly ratePerSecond: number;
}

/** A run as read back: what it was started with, and its summary once it finished. */
export interface ReplayRunRecord extends Omit<ReplayRun, 'ratePerSecond'> {
  readonly startedAt: Date;
  /** Null while the run is under way (or when it died before recording its summary). */
  readonly finishedAt: Date | null;
  /** Null for runs recorded before the rate was. */
  readonly ratePerSecond: number | null;
  /** Null until the run finished. */
  readonly summary: ReplayRunSummary | null;
}

/** Most runs `recentRuns` returns, whatever the caller asks. */
export const MAX_RECENT_RUNS = 200;

export interface ReplayRunSummary {
  readonly matched: number;
  readonly replayed: number;
  readonly parked: number;
  readonly skipped: number;
  readonly failed: number;
}

/** One audit row as read back (for `replay` history and tests). */
export interface AuditRow {
  runId: string;
  replayedAt: Date;
  operator: string;
  consumerId: string;
  deadLetterTopic: string;
  deadLetterPartition: number;
  deadLetterOffset: bigint;
  historyKey: string;
  eventId: string | null;
  recordKey: string | null;
  errorCode: string | null;
  targetTopic: string;
  replayCount: number;
  forced: boolean;
}

/**
 * The replay audit in PostgreSQL (database `tools` by default, created and migrated on first use). A table
 * rather than a file: it survives the operator's machine, several operators share it, and replay counts are
 * one indexed query. Every replayed record gets its row in the same transaction that waits for the broker's
 * acknowledgement of the copy: the row commits only once the copy is durable. (The converse gap, a copy
 * acknowledged and the commit then failing, is reported as a failed run, and the copy's own `replay-count`
 * header still carries the count.)
 */
export class ReplayAudit implements ReplayAuditPort {
  readonly #pool: Pool;

  private constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Creates the database if needed, applies the audit migrations, and connects. */
  static async open(serverUrl: string, database: string = DEFAULT_AUDIT_DATABASE): Promise<ReplayAudit> {
    await ensureDatabase(serverUrl, database);
    const pool = createPool(databaseUrl(serverUrl, database), { max: AUDIT_POOL_SIZE, applicationName: 'shop dlt' });
    try {
      await migrate(pool, [DLT_AUDIT_MIGRATIONS]);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new ReplayAudit(pool);
  }

  /** Audited replays per history key. */
  async replayCounts(historyKeys: readonly string[]): Promise<Map<string, number>> {
    if (historyKeys.length === 0) return new Map();
    const result = await this.#pool.query<{ history_key: string; replays: string }>(
      'SELECT history_key, count(*) AS replays FROM dlt_replays WHERE history_key = ANY($1) GROUP BY history_key',
      [[...new Set(historyKeys)]],
    );
    return new Map(result.rows.map((row) => [row.history_key, Number(row.replays)]));
  }

  async startRun(run: ReplayRun): Promise<void> {
    await this.#pool.query(
      `INSERT INTO dlt_replay_runs (run_id, operator, kafka_namespace, filters, target, max_replays, forced,
         rate_per_second)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [run.runId, run.operator, run.namespace, run.filters, run.target, run.maxReplays, run.forced, run.ratePerSecond],
    );
  }

  /**
   * The latest runs of one namespace, newest first (the audit database is shared by every namespace of the
   * server). Dry runs are never recorded, so each is a run that published or tried to.
   */
  async recentRuns(namespace: string, limit: number): Promise<ReplayRunRecord[]> {
    const result = await this.#pool.query(
      `SELECT run_id, operator, kafka_namespace, filters, target, max_replays, forced, rate_per_second, started_at,
              finished_at, matched, replayed, parked, skipped, failed
       FROM dlt_replay_runs WHERE kafka_namespace = $1 ORDER BY started_at DESC, run_id LIMIT $2`,
      [namespace, Math.max(1, Math.min(limit, MAX_RECENT_RUNS))],
    );
    return result.rows.map((row) => ({
      runId: row.run_id,
      operator: row.operator,
      namespace: row.kafka_namespace,
      filters: row.filters,
      target: row.target,
      maxReplays: row.max_replays,
      forced: row.forced,
      ratePerSecond: row.rate_per_second,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      summary:
        row.finished_at === null
          ? null
          : {
              matched: row.matched,
              replayed: row.replayed,
              parked: row.parked,
              skipped: row.skipped,
              failed: row.failed,
            },
    }));
  }

  async finishRun(runId: string, summary: ReplayRunSummary): Promise<void> {
    await this.#pool.query(
      `UPDATE dlt_replay_runs SET finished_at = now(), matched = $2, replayed = $3, parked = $4, skipped = $5, failed = $6
       WHERE run_id = $1`,
      [runId, summary.matched, summary.replayed, summary.parked, summary.skipped, summary.failed],
    );
  }

  async recordReplay(entry: AuditEntry, publish: () => Promise<void>): Promise<void> {
    const { record } = entry;
    await inTransaction(this.#pool, async (client) => {
      await client.query(
        `INSERT INTO dlt_replays (run_id, replayed_at, operator, consumer_id, dead_letter_topic, dead_letter_partition,
           dead_letter_offset, history_key, event_id, record_key, error_code, target_topic, replay_count, forced)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          entry.runId,
          entry.replayedAt,
          entry.operator,
          record.consumerId,
          record.topic,
          record.partition,
          record.offset.toString(),
          entry.historyKey,
          eventIdOf(record) ?? null,
          record.key ?? null,
          headerText(record, FAILURE_HEADERS.errorCode) ?? null,
          entry.targetTopic,
          entry.replayCount,
          entry.forced,
        ],
      );
      await publish();
    });
  }

  /** The rows of one run, in replay order. */
  async rowsOfRun(runId: string): Promise<AuditRow[]> {
    const result = await this.#pool.query(
      `SELECT run_id, replayed_at, operator, consumer_id, dead_letter_topic, dead_letter_partition, dead_letter_offset,
              history_key, event_id, record_key, error_code, target_topic, replay_count, forced
       FROM dlt_replays WHERE run_id = $1 ORDER BY id`,
      [runId],
    );
    return result.rows.map((row) => ({
      runId: row.run_id,
      replayedAt: row.replayed_at,
      operator: row.operator,
      consumerId: row.consumer_id,
      deadLetterTopic: row.dead_letter_topic,
      deadLetterPartition: row.dead_letter_partition,
      deadLetterOffset: BigInt(row.dead_letter_offset),
      historyKey: row.history_key,
      eventId: row.event_id,
      recordKey: row.record_key,
      errorCode: row.error_code,
      targetTopic: row.target_topic,
      replayCount: row.replay_count,
      forced: row.forced,
    }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
