/**
 * The closed set of contract error codes (prefix `CTR_`). A record that fails decoding is poison: it
 * can never succeed as it is, so none of these codes is retryable and the consumer runner
 * dead-letters it at once with the code and reason. A failure on encoding is a bug in the producer
 * and throws {@link ContractError} before anything is written to the outbox or Kafka.
 */

/** Every contract error code, with what it means and where it can occur. */
export const CONTRACT_ERRORS = {
  CTR_EMPTY_VALUE: { stage: 'decode', message: 'The record has no value (null or zero bytes).' },
  CTR_NOT_JSON: { stage: 'decode', message: 'The value is not UTF-8 JSON.' },
  CTR_MISSING_HEADER: { stage: 'both', message: 'A required header is absent.' },
  CTR_INVALID_HEADER: { stage: 'both', message: 'A header is malformed or appears more than once.' },
  CTR_UNSUPPORTED_CONTENT_TYPE: { stage: 'both', message: 'The content-type header is not application/json.' },
  CTR_UNKNOWN_EVENT_TYPE: { stage: 'both', message: 'The event-type header names no registered event type.' },
  CTR_UNKNOWN_SCHEMA_VERSION: {
    stage: 'both',
    message:
      'The event-version is not registered (on encode), or is newer than this reader knows and its payload does not fit the newest known version (on decode).',
  },
  CTR_SCHEMA_INVALID: { stage: 'both', message: 'The payload does not match its schema or breaks an invariant.' },
  CTR_WRONG_TOPIC: { stage: 'both', message: 'The event type may not appear on this topic.' },
  CTR_KEY_MISMATCH: { stage: 'decode', message: "The record key differs from the payload's partition key field." },
  CTR_NOT_TOPIC_OWNER: { stage: 'encode', message: 'The producing service does not own the target topic.' },
} as const satisfies Record<string, { readonly stage: 'encode' | 'decode' | 'both'; readonly message: string }>;

/** A contract error code. */
export type ContractErrorCode = keyof typeof CONTRACT_ERRORS;

/** Every contract error code, in declaration order. */
export const CONTRACT_ERROR_CODES = Object.keys(CONTRACT_ERRORS) as ContractErrorCode[];

/** Contract violations are never fixed by trying again: the same bytes fail the same way. */
export const CONTRACT_ERRORS_RETRYABLE = false;

/** A contract violation found while encoding, thrown so that a bug never reaches Kafka. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  /** Stable code from {@link CONTRACT_ERRORS}. */
  readonly code: ContractErrorCode;
  /** JSON pointer into the record (`/value/...` or `/headers/<name>`) when one field is at fault. */
  readonly field: string | undefined;
  /** Always false: see {@link CONTRACT_ERRORS_RETRYABLE}. */
  readonly retryable = CONTRACT_ERRORS_RETRYABLE;

  constructor(code: ContractErrorCode, reason: string, field?: string) {
    super(`${code}: ${reason}`);
    this.code = code;
    this.field = field;
  }
}

/** A contract violation as a value: what decoding returns instead of throwing. */
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
