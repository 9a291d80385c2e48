import { AppError } from '@shop/platform/errors';

/** The closed set of error codes of the `lag` tools. */
export const LAG_ERRORS = {
  /** An option value does not parse (namespace, interval, unknown group). */
  LAG_INVALID_OPTION: { retryable: false, httpStatus: 400 },
  /** Offsets, metadata or a record could not be read from the cluster. */
  LAG_READ_FAILED: { retryable: true, httpStatus: 503 },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number }>;

export type LagErrorCode = keyof typeof LAG_ERRORS;

export function lagError(
  code: LagErrorCode,
  message: string,
  options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {},
): AppError<LagErrorCode> {
  return new AppError(code, message, { ...LAG_ERRORS[code], ...options });
}
