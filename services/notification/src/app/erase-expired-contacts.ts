/**
 * The contact retention job: once at start and then every interval, erases the recipients (e-mail
 * addresses, phone numbers) of notifications older than the retention, in short batches, and keeps the
 * delivery records. Every instance may run it: a batch skips rows another holds, and erasing twice is
 * erasing once. Scheduled as a platform HousekeepingJob (a failure is tried again at the next interval).
 */
import { HousekeepingJob, type Logger, type Pool } from '@shop/platform';
import { eraseExpiredContacts } from '../db/contact-erasure.ts';

/** Rows one erasing statement changes: a short statement, a few milliseconds of row locks. */
export const CONTACT_ERASURE_BATCH_ROWS = 1_000;

export interface ContactEraserOptions {
  pool: Pool;
  logger: Logger;
  /** Contact data last written longer ago than this is erased. */
  retentionSeconds: number;
  intervalMs: number;
  /** Counts what was erased (the service's metric). */
  erased(rows: number): void;
  /** Default: CONTACT_ERASURE_BATCH_ROWS. */
  batchRows?: number;
}

export class ContactEraser {
  readonly #options: ContactEraserOptions;
  readonly #job: HousekeepingJob;

  constructor(options: ContactEraserOptions) {
    this.#options = options;
    this.#job = new HousekeepingJob({
      intervalMs: options.intervalMs,
      logger: options.logger,
      failureMessage: 'contact erasure failed; retried next interval',
      run: async () => {
        const erased = await this.eraseOnce();
        if (erased > 0) options.logger.info({ erased }, 'contact data past its retention erased');
      },
    });
  }

  /** Erases once now, then every interval, until `stop`. */
  start(): void {
    this.#job.start();
  }

  async stop(): Promise<void> {
    await this.#job.stop();
  }

  /** Erases everything expired, one batch after the other, and returns how many notifications. */
  async eraseOnce(): Promise<number> {
    const { pool, retentionSeconds } = this.#options;
    const batchRows = this.#options.batchRows ?? CONTACT_ERASURE_BATCH_ROWS;
    let erased = 0;
    while (true) {
      const batch = await eraseExpiredContacts(pool, retentionSeconds, batchRows);
      erased += batch.notifications;
      this.#options.erased(batch.notifications);
      if ((batch.notifications < batchRows && batch.mailbox < batchRows) || this.#job.stopping) return erased;
    }
  }
}
