import { INFRASTRUCTURE_MIN_BACKOFF_MS, nextBackoffMs } from '../backoff.ts';
import type { Logger } from '../logger.ts';

/** Backoff bounds for in-place retries while our own database or Kafka is down: the platform's one policy. */
export { INFRASTRUCTURE_MAX_BACKOFF_MS, INFRASTRUCTURE_MIN_BACKOFF_MS } from '../backoff.ts';

/** Thrown out of a retry loop when the runner stops (or loses the partition) before the work was done. */
export class Abandoned extends Error {
  constructor() {
    super('abandoned: the runner is stopping or the partition was revoked');
    this.name = 'Abandoned';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RetryInPlaceOptions {
  /** True while retrying is still wanted; checked before every wait. */
  keepGoing(): boolean;
  /** Whether an error is worth retrying in place; any other error is thrown at once. */
  retryable(error: unknown): boolean;
  logger: Logger;
  /** Log message for each retry. */
  what: string;
  onRetry?(error: unknown): void;
}

/**
 * Runs `attempt` until it resolves, retrying the errors `retryable` accepts with exponential backoff, for as
 * long as `keepGoing()` holds (then throws `Abandoned`). Nothing else is done between attempts: a caller
 * must not hold a database connection across this loop.
 */
export async function retryInPlace<T>(attempt: () => Promise<T>, options: RetryInPlaceOptions): Promise<T> {
  let backoff = INFRASTRUCTURE_MIN_BACKOFF_MS;
  while (true) {
    if (!options.keepGoing()) throw new Abandoned();
    try {
      return await attempt();
    } catch (error) {
      if (!options.retryable(error)) throw error;
      options.onRetry?.(error);
      if (!options.keepGoing()) throw new Abandoned();
      options.logger.warn({ err: error, backoffMs: backoff }, options.what);
      await sleep(backoff);
      backoff = nextBackoffMs(backoff);
    }
  }
}
