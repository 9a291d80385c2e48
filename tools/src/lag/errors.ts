import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

/** The closed set of error codes of the `lag` tools. */
export const LAG_ERRORS = {
  LAG_INVALID_OPTION: {
    httpStatus: 400,
    retryable: false,
    description: 'An option value does not parse (namespace, interval, unknown group).',
  },
  LAG_READ_FAILED: {
    httpStatus: 503,
    retryable: true,
    description: 'Offsets, metadata or a record could not be read from the cluster.',
  },
} as const satisfies Record<`LAG_${string}`, ErrorSpec>;

export type LagErrorCode = keyof typeof LAG_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const lagError: ErrorFactory<LagErrorCode> = errorFactory(LAG_ERRORS);
