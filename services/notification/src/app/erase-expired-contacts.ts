/**
 * The contact retention job: once at start and then every interval, erases the recipients (e-mail
 * addresses, phone numbers) of notifications older than the retention, in short batches, and keeps the
 * delivery records. Every instance may run it: a batch skips rows another holds, and erasing twice is
 * erasing once. Housekeeping: a failure (database down) is logged and tried again at the next interval.
 */
import type { Logger, Pool } from '@shop/platform';
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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #started = false;
  /** Set by `stop`: an erasure in progress ends after its current batch. */
  #stopping = false;

  constructor(options: ContactEraserOptions) {
    this.#options = options;
  }

  /** Erases once now, then every interval, until `stop`. */
  start(): void {
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
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
      if ((batch.notifications < batchRows && batch.mailbox < batchRows) || this.#stopping) return erased;
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#running = this.eraseOnce()
        .then((erased) => {
          if (erased > 0) this.#options.logger.info({ erased }, 'contact data past its retention erased');
        })
        .catch((error) => this.#options.logger.warn({ err: error }, 'contact erasure failed; retried next interval'))
        .finally(() => this.#schedule(this.#options.intervalMs));
    }, delayMs);
    // Housekeeping never keeps a process alive on its own.
    this.#timer.unref();
  }
}
