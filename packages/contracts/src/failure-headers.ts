/**
 * Headers the platform adds when a record leaves its consumer's normal path: to a retry tier, to the
 * dead-letter topic, or back from it by a replay. The record keeps its original key, value and contract
 * headers (event id included, so consumers stay idempotent); these say where it came from and why it failed.
 * Values are UTF-8 text. The first failure's origin is kept across retries and replays.
 */
export const FAILURE_HEADERS = {
  /** Topic, partition, offset and timestamp (ms since epoch) of the record the consumer first failed on. */
  originalTopic: 'failure-original-topic',
  originalPartition: 'failure-original-partition',
  originalOffset: 'failure-original-offset',
  originalTimestamp: 'failure-original-timestamp',
  /** Consumer group (catalog group id of the main consumer) that failed. */
  consumerGroup: 'failure-consumer-group',
  /** `poison` or `transient`: why it left the partition. */
  kind: 'failure-kind',
  /** Stable error code (e.g. CTR_SCHEMA_INVALID) and its message, truncated to MAX_FAILURE_MESSAGE_LENGTH. */
  errorCode: 'failure-error-code',
  errorMessage: 'failure-error-message',
  /** Hash of the error's stack frames without line numbers: groups dead letters by the code path that failed. */
  stackFingerprint: 'failure-stack-fingerprint',
  /** Processing attempts so far (1 after the first failure). */
  attempts: 'failure-attempts',
  /** ISO 8601 UTC of the first and the latest failure. */
  firstFailureAt: 'failure-first-at',
  lastFailureAt: 'failure-last-at',
  /** ISO 8601 UTC before which a retry tier must not handle the record. */
  retryNotBefore: 'retry-not-before',
  /** Set by `dlt replay`: how many times the record was replayed, when last, and by whom. */
  replayCount: 'replay-count',
  replayedAt: 'replayed-at',
  replayedBy: 'replayed-by',
} as const;

export type FailureHeaderName = (typeof FAILURE_HEADERS)[keyof typeof FAILURE_HEADERS];

/** Error messages are cut to this length in headers: enough to triage, bounded against huge messages. */
export const MAX_FAILURE_MESSAGE_LENGTH = 1_000;

export function isFailureHeader(name: string): boolean {
  return (Object.values(FAILURE_HEADERS) as string[]).includes(name);
}
