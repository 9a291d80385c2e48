import { type ErrorFactory, errorFactory } from '@shop/platform';

/**
 * The closed set of error codes of the `dlt` CLI. Every one is an operator mistake or a state the
 * operator must look at; none is retried by the tool itself (a replay run is re-runnable, and the audit
 * shows what a failed run already published).
 */
export const DLT_ERRORS = {
  /** `--consumer` names no catalog consumer (neither a consumer id nor a group id). */
  DLT_UNKNOWN_CONSUMER: { retryable: false, httpStatus: 400 },
  /** `--source` or `--to` names no catalog topic, or one that cannot be used there. */
  DLT_UNKNOWN_TOPIC: { retryable: false, httpStatus: 400 },
  /** `--to` names a topic the failing consumer does not read. */
  DLT_INVALID_TARGET: { retryable: false, httpStatus: 400 },
  /** An option value does not parse (time, number, namespace, empty operator). */
  DLT_INVALID_OPTION: { retryable: false, httpStatus: 400 },
  /** `show` found no dead letter for the given coordinates or event id. */
  DLT_RECORD_NOT_FOUND: { retryable: false, httpStatus: 404 },
  /** Reading a dead-letter topic failed (partition error, or no progress where records should be). */
  DLT_READ_FAILED: { retryable: true, httpStatus: 503 },
  /** Publishing a replayed record or writing its audit row failed; the run stopped there. */
  DLT_REPLAY_FAILED: { retryable: true, httpStatus: 503 },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number }>;

export type DltErrorCode = keyof typeof DLT_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const dltError: ErrorFactory<DltErrorCode> = errorFactory(DLT_ERRORS);
