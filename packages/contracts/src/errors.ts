/**
 * The closed set of contract error codes (prefix `CTR_`). A record that fails decoding is poison: it
 * can never succeed as it is, so none of these codes is retryable and the consumer runner
 * dead-letters it at once with the code and reason. A failure on encoding is a bug in the producer
 * and throws an {@link AppError} with the same code (made by {@link contractError}) before anything is
 * written to the outbox or Kafka. No code has an HTTP status: a request is validated against its own
 * schema before any event is built from it, so a contract error reaching HTTP is a bug (500).
 */
import { AppError, type ErrorFactory, type ErrorSpec, errorFactory } from './app-error.ts';

/** Every contract error code, with what it means and where it can occur. */
export const CONTRACT_ERRORS = {
  CTR_EMPTY_VALUE: { stage: 'decode', retryable: false, description: 'The record has no value (null or zero bytes).' },
  CTR_NOT_JSON: { stage: 'decode', retryable: false, description: 'The value is not UTF-8 JSON.' },
  CTR_MISSING_HEADER: { stage: 'both', retryable: false, description: 'A required header is absent.' },
  CTR_INVALID_HEADER: {
    stage: 'both',
    retryable: false,
    description: 'A header is malformed or appears more than once.',
  },
  CTR_UNSUPPORTED_CONTENT_TYPE: {
    stage: 'both',
    retryable: false,
    description: 'The content-type header is not application/json.',
  },
  CTR_UNKNOWN_EVENT_TYPE: {
    stage: 'both',
    retryable: false,
    description: 'The event-type header names no registered event type.',
  },
  CTR_UNKNOWN_SCHEMA_VERSION: {
    stage: 'both',
    retryable: false,
    description:
      'The event-version is not registered (on encode), or is newer than this reader knows and its payload does not fit the newest known version (on decode).',
  },
  CTR_SCHEMA_INVALID: {
    stage: 'both',
    retryable: false,
    description: 'The payload does not match its schema or breaks an invariant.',
  },
  CTR_WRONG_TOPIC: { stage: 'both', retryable: false, description: 'The event type may not appear on this topic.' },
  CTR_KEY_MISMATCH: {
    stage: 'decode',
    retryable: false,
    description: "The record key differs from the payload's partition key field.",
  },
  CTR_NOT_TOPIC_OWNER: {
    stage: 'encode',
    retryable: false,
    description: 'The producing service does not own the target topic.',
  },
} as const satisfies Record<`CTR_${string}`, ErrorSpec & { readonly stage: 'encode' | 'decode' | 'both' }>;

/** A contract error code. */
export type ContractErrorCode = keyof typeof CONTRACT_ERRORS;

/** Every contract error code, in declaration order. */
export const CONTRACT_ERROR_CODES = Object.keys(CONTRACT_ERRORS) as ContractErrorCode[];

/** Contract violations are never fixed by trying again: the same bytes fail the same way. */
export const CONTRACT_ERRORS_RETRYABLE = false;

/** Builds the AppError for `code`: not retryable (see {@link CONTRACT_ERRORS_RETRYABLE}). */
export const contractError: ErrorFactory<ContractErrorCode> = errorFactory(CONTRACT_ERRORS);

/** The thrown form of a {@link ContractFailure}: the field at fault, when one is, in `details.field`. */
export function contractFailureError(failure: ContractFailure): AppError<ContractErrorCode> {
  return contractError(
    failure.code,
    failure.reason,
    failure.field === undefined ? {} : { details: { field: failure.field } },
  );
}

/**
 * A contract violation as a value: what decoding returns instead of throwing. A separate type from
 * {@link AppError} on purpose: decoding a record that is not ours is an expected outcome the consumer
 * runner branches on (dead-letter it, keep the partition flowing), not an exception, and a value carries
 * no stack trace to build for every poison record. Its `code` comes from the same catalogue.
 */
export interface ContractFailure {
  readonly ok: false;
  /** Stable code from {@link CONTRACT_ERRORS}. */
  readonly code: ContractErrorCode;
  /** What is wrong, naming the field (e.g. `/value/lines/0/quantity must be >= 1`). */
  readonly reason: string;
  /** JSON pointer into the record (`/value/...` or `/headers/<name>`) when one field is at fault. */
  readonly field?: string;
}

/** Builds a {@link ContractFailure}. */
export function contractFailure(code: ContractErrorCode, reason: string, field?: string): ContractFailure {
  return field === undefined ? { ok: false, code, reason } : { ok: false, code, reason, field };
}

/** Whether `error` is a contract violation thrown while encoding. */
export function isContractError(error: unknown): error is AppError<ContractErrorCode> {
  return error instanceof AppError && Object.hasOwn(CONTRACT_ERRORS, error.code);
}
