/**
 * The one backoff policy for work retried in place while our own database or Kafka is unavailable (the
 * consumer runner's retries, the outbox relay's passes): exponential from INFRASTRUCTURE_MIN_BACKOFF_MS,
 * doubling per failure, capped at INFRASTRUCTURE_MAX_BACKOFF_MS. Short enough that a restarted dependency
 * is picked up within seconds, capped so an outage of minutes costs a few log lines a minute, not a flood.
 */

/** Wait after the first failure. */
export const INFRASTRUCTURE_MIN_BACKOFF_MS = 250;
/** Longest wait between two attempts, however long the outage. */
export const INFRASTRUCTURE_MAX_BACKOFF_MS = 10_000;

/** The wait after the one of `currentMs`: doubled, capped at `maxMs` (default INFRASTRUCTURE_MAX_BACKOFF_MS). */
export function nextBackoffMs(currentMs: number, maxMs: number = INFRASTRUCTURE_MAX_BACKOFF_MS): number {
  return Math.min(currentMs * 2, maxMs);
}

/**
 * The wait before retry `attempt` (1 for the first retry): INFRASTRUCTURE_MIN_BACKOFF_MS doubled per earlier
 * attempt, capped at `maxMs` (default INFRASTRUCTURE_MAX_BACKOFF_MS). For callers that are given an attempt
 * number rather than keeping the last wait (a client library's retry hook).
 */
export function backoffMs(attempt: number, maxMs: number = INFRASTRUCTURE_MAX_BACKOFF_MS): number {
  return Math.min(INFRASTRUCTURE_MIN_BACKOFF_MS * 2 ** Math.max(0, attempt - 1), maxMs);
}
