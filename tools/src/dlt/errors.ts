import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

/**
 * The closed set of error codes of the `dlt` CLI. Every one is an operator mistake or a state the
 * operator must look at; none is retried by the tool itself (a replay run is re-runnable, and the audit
 * shows what a failed run already published).
 */
export const DLT_ERRORS = {
  DLT_UNKNOWN_CONSUMER: {
    httpStatus: 400,
    retryable: false,
    description: '`--consumer` names no catalog consumer (neither a consumer id nor a group id).',
  },
  DLT_UNKNOWN_TOPIC: {
    httpStatus: 400,
    retryable: false,
    description: '`--source` or `--to` names no catalog topic, or one that cannot be used there.',
  },
  DLT_INVALID_TARGET: {
    httpStatus: 400,
    retryable: false,
    description: '`--to` names a topic the failing consumer does not read.',
  },
  DLT_INVALID_OPTION: {
    httpStatus: 400,
    retryable: false,
    description: 'An option value does not parse (time, number, namespace, empty operator).',
  },
  DLT_RECORD_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: '`show` found no dead letter for the given coordinates or event id.',
  },
  DLT_READ_FAILED: {
    httpStatus: 503,
    retryable: true,
    description: 'Reading a dead-letter topic failed (partition error, or no progress where records should be).',
  },
  DLT_REPLAY_FAILED: {
    httpStatus: 503,
    retryable: true,
    description: 'Publishing a replayed record or writing its audit row failed; the run stopped there.',
  },
} as const satisfies Record<`DLT_${string}`, ErrorSpec>;

export type DltErrorCode = keyof typeof DLT_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const dltError: ErrorFactory<DltErrorCode> = errorFactory(DLT_ERRORS);
