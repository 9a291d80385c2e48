import { type ErrorFactory, errorFactory } from '@shop/platform';

/** The closed set of error codes of the `lag` tools. */
export const LAG_ERRORS = {
  /** An option value does not parse (namespace, interval, unknown group). */
  LAG_INVALID_OPTION: { retryable: false, httpStatus: 400 },
  /** Offsets, metadata or a record could not be read from the cluster. */
  LAG_READ_FAILED: { retryable: true, httpStatus: 503 },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number }>;

export type LagErrorCode = keyof typeof LAG_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const lagError: ErrorFactory<LagErrorCode> = errorFactory(LAG_ERRORS);
