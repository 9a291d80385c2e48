import { isContractError } from '@shop/contracts';
import { type AppError, classifyError } from '../errors.ts';

/**
 * What the consumer runner does with a record whose processing failed. Read from the error's code and
 * `retryable` flag, never from its message:
 * - `poison`: can never succeed as it is (not JSON, schema-invalid, a business rule that cannot pass):
 *   dead-letter at once, keep the partition flowing;
 * - `transient`: this record's processing may succeed later (a downstream call timed out): non-blocking
 *   retry topics with growing delays, then the dead-letter topic;
 * - `infrastructure`: our own database or Kafka is unavailable: every record would fail alike, so pause
 *   and retry in place; never dead-letter and never commit past the record.
 */
export type FailureKind = 'poison' | 'transient' | 'infrastructure';

/** Codes that mean "our own infrastructure is down", as opposed to something about this record. */
export const INFRASTRUCTURE_ERROR_CODES: ReadonlySet<string> = new Set([
  'PLT_INFRASTRUCTURE',
  'PLT_POSTGRES_UNREACHABLE',
  'PLT_KAFKA_UNREACHABLE',
]);

export interface ClassifiedFailure {
  kind: FailureKind;
  error: AppError;
}

/**
 * The one place a consumer's failure is classified. A contract error (`CTR_`: a handler encoding an event that
 * breaks its schema) keeps its `CTR_` code, so its dead letter says what broke and `dlt replay --code`
 * finds it; it is poison, since the same input fails the same way. (Over HTTP the same error stays
 * `PLT_UNEXPECTED`, a bug of ours, through `classifyError`.)
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  // An AppError already, thrown where the violation happened: its stack is the dead letter's fingerprint.
  if (isContractError(error)) return { kind: 'poison', error };
  const classified = classifyError(error);
  if (INFRASTRUCTURE_ERROR_CODES.has(classified.code)) return { kind: 'infrastructure', error: classified };
  return { kind: classified.retryable ? 'transient' : 'poison', error: classified };
}
