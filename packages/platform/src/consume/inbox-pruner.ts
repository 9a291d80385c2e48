/**
 * Keeps the inbox bounded. A row exists to recognise a redelivery of its record, and Kafka redelivers only
 * what it still holds: once a record is older than its topic's retention it can no longer come back (and
 * the group's committed offset has long moved past it), so its row has nothing left to guard. Rows are
 * deleted by age (`processed_at`, which is never before the record was written), periodically, in batches.
 */
import type { Pool } from '../db/pool.ts';
import { HousekeepingJob } from '../housekeeping-job.ts';
import type { Logger } from '../logger.ts';
import { pruneInboxBatch } from './inbox.ts';

/** How often a consumer's inbox is pruned: rows become prunable by the day, so hourly keeps it close to the bound. */
export const INBOX_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Rows one pruning statement deletes: a short statement, a few milliseconds of row locks. */
export const INBOX_PRUNE_BATCH_ROWS = 1_000;

export interface InboxPrunerOptions {
  pool: Pool;
  logger: Logger;
  /** The consumer's name in the inbox. */
  consumer: string;
  /** Rows processed longer ago than this are deleted: the longest retention of the topics the consumer reads. */
  retentionMs: number;
  /** Default: INBOX_PRUNE_INTERVAL_MS. */
  intervalMs?: number;
  /** Default: INBOX_PRUNE_BATCH_ROWS. */
  batchRows?: number;
  /** Default: the system clock. */
  now?: () => number;
}

export class InboxPruner {
  readonly #options: InboxPrunerOptions;
  readonly #job: HousekeepingJob;

  constructor(options: InboxPrunerOptions) {
    this.#options = options;
    this.#job = new HousekeepingJob({
      intervalMs: options.intervalMs ?? INBOX_PRUNE_INTERVAL_MS,
      logger: options.logger,
      failureMessage: 'inbox pruning failed',
      logFields: { consumer: options.consumer },
      run: async () => {
        const pruned = await this.pruneOnce();
        if (pruned > 0) options.logger.info({ consumer: options.consumer, pruned }, 'inbox pruned');
      },
    });
  }

  /** Prunes once now, then every interval, until `stop`. */
  start(): void {
    this.#job.start();
  }

  async stop(): Promise<void> {
    await this.#job.stop();
  }

  /**
   * Deletes every row older than the retention, one batch after the other; returns how many. A batch that
   * deletes fewer rows than its limit was the last one; after `stop` the current batch is the last.
   */
  async pruneOnce(): Promise<number> {
    const { pool, consumer, retentionMs } = this.#options;
    const batchRows = this.#options.batchRows ?? INBOX_PRUNE_BATCH_ROWS;
    const olderThan = new Date((this.#options.now ?? Date.now)() - retentionMs);
    let pruned = 0;
    while (true) {
      const deleted = await pruneInboxBatch(pool, consumer, olderThan, batchRows);
      pruned += deleted;
      if (deleted < batchRows || this.#job.stopping) return pruned;
    }
  }
}
