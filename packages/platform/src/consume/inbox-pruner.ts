/**
 * Keeps the inbox bounded. A row exists to recognise a redelivery of its record, and Kafka redelivers only
 * what it still holds: once a record is older than its topic's retention it can no longer come back (and
 * the group's committed offset has long moved past it), so its row has nothing left to guard. Rows are
 * deleted by age (`processed_at`, which is never before the record was written), periodically, in batches.
 */
import type { Pool } from '../db/pool.ts';
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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #started = false;
  /** Set by `stop`: a pruning in progress ends after its current batch. */
  #stopping = false;

  constructor(options: InboxPrunerOptions) {
    this.#options = options;
  }

  /** Prunes once now, then every interval, until `stop`. */
  start(): void {
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => 0);
  }

  /**
   * Deletes every row older than the retention, one batch after the other; returns how many. A batch that
   * deletes fewer rows than its limit was the last one.
   */
  async pruneOnce(): Promise<number> {
    const { pool, consumer, retentionMs } = this.#options;
    const batchRows = this.#options.batchRows ?? INBOX_PRUNE_BATCH_ROWS;
    const olderThan = new Date((this.#options.now ?? Date.now)() - retentionMs);
    let pruned = 0;
    while (true) {
      const deleted = await pruneInboxBatch(pool, consumer, olderThan, batchRows);
      pruned += deleted;
      if (deleted < batchRows || this.#stopping) return pruned;
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#running = this.pruneOnce()
        .then((pruned) => {
          if (pruned > 0) this.#options.logger.info({ consumer: this.#options.consumer, pruned }, 'inbox pruned');
          return pruned;
        })
        .catch((error) => {
          // Pruning is housekeeping: a failure (database down) is tried again at the next interval.
          this.#options.logger.warn({ err: error, consumer: this.#options.consumer }, 'inbox pruning failed');
          return 0;
        })
        .finally(() => this.#schedule(this.#options.intervalMs ?? INBOX_PRUNE_INTERVAL_MS));
    }, delayMs);
    // Housekeeping never keeps a process alive on its own.
    this.#timer.unref();
  }
}
