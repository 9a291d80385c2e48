/**
 * One batch, settled: every record either took effect in a committed transaction (processed), was already
 * in the inbox (duplicate), or is handed back to be routed (failed). Nothing here routes or commits offsets:
 * that happens after the transactions, without a connection held.
 */
import { inTransaction, type Pool } from '../db/pool.ts';
import { classifyFailure } from '../kafka/failure.ts';
import type { Logger } from '../logger.ts';
import { markOutboxAppend } from '../outbox/outbox-signal.ts';
import { claimInbox, releaseInbox } from './inbox.ts';
import { retryInPlace } from './retry-in-place.ts';
import {
  type BatchHandler,
  type BatchItem,
  BatchItemError,
  type Decoded,
  type KafkaRecord,
  type RecordFailure,
  type Rejection,
} from './types.ts';

/** A record that decoded and passed its schema check, ready for a transaction. */
export interface PreparedRecord<Event> {
  readonly record: KafkaRecord;
  readonly decoded: Extract<Decoded<Event>, { ok: true }>;
}

export interface FailedRecord {
  readonly record: KafkaRecord;
  readonly failure: RecordFailure;
}

export interface BatchOutcome {
  readonly processed: KafkaRecord[];
  readonly duplicates: KafkaRecord[];
  readonly failed: FailedRecord[];
}

export interface BatchTransactionOptions<Event> {
  /** The consumer's name in the inbox. */
  name: string;
  pool: Pool;
  logger: Logger;
  handleBatch: BatchHandler<Event>;
  /** While true, an infrastructure failure is retried in place; once false, `Abandoned` is thrown. */
  keepGoing(): boolean;
  onInfrastructureRetry?(code: string): void;
  /** Called after each committed transaction with its records' count and its duration. */
  onCommitted?(records: number, durationMs: number): void;
}

/** True when `error` means our own database or Kafka is unavailable (a handler's `BatchItemError` included). */
export function isInfrastructureFailure(error: unknown): boolean {
  if (error instanceof BatchItemError && isInfrastructureFailure(error.cause)) return true;
  return classifyFailure(error).kind === 'infrastructure';
}

/**
 * The failure a record is routed with. A rejection carrying an infrastructure error (which a handler should
 * have thrown) is routed as transient: its retry tier tries it again later, it is never dead-lettered for it.
 */
export function toRecordFailure(error: unknown): RecordFailure {
  const classified = classifyFailure(error instanceof BatchItemError ? error.cause : error);
  return {
    kind: classified.kind === 'poison' ? 'poison' : 'transient',
    code: classified.error.code,
    message: classified.error.message,
    ...(classified.error.stack === undefined ? {} : { stack: classified.error.stack }),
  };
}

/**
 * Settles `records` (in processing order) in as few transactions as their failures allow:
 * - all of them in one transaction when the handler succeeds (its rejections are failed, the rest processed);
 * - an infrastructure failure retries the same batch in place, unsplit, until it passes or `keepGoing()`
 *   turns false (then `Abandoned` is thrown and nothing of the batch is settled);
 * - `BatchItemError(i)`: the items before i as one batch, i alone, the items after i as another batch;
 * - any other error: the batch is halved until the offending record is alone, which then fails.
 * Sub-batches run one after the other, in order, so records of one partition keep their order.
 */
export async function settleBatch<Event>(
  options: BatchTransactionOptions<Event>,
  records: ReadonlyArray<PreparedRecord<Event>>,
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { processed: [], duplicates: [], failed: [] };
  await settle(options, records, outcome);
  return outcome;
}

async function settle<Event>(
  options: BatchTransactionOptions<Event>,
  records: ReadonlyArray<PreparedRecord<Event>>,
  outcome: BatchOutcome,
): Promise<void> {
  if (records.length === 0) return;
  // Positions (in `records`) of the items of the last attempt: BatchItemError indexes refer to them.
  let positions: number[] = [];
  let result: { positions: number[]; rejected: Rejection[] };
  try {
    result = await retryInPlace(
      async () => {
        const started = performance.now();
        const attempt = await runOnce(options, records, (fresh) => {
          positions = fresh;
        });
        options.onCommitted?.(records.length, performance.now() - started);
        return attempt;
      },
      {
        keepGoing: options.keepGoing,
        retryable: isInfrastructureFailure,
        logger: options.logger,
        what: `infrastructure failure; retrying the batch of ${records.length} in place`,
        onRetry: (error) =>
          options.onInfrastructureRetry?.(
            classifyFailure(error instanceof BatchItemError ? error.cause : error).error.code,
          ),
      },
    );
  } catch (error) {
    if (!(error instanceof Error) || error.name === 'Abandoned') throw error;
    if (records.length === 1) {
      outcome.failed.push({ record: (records[0] as PreparedRecord<Event>).record, failure: toRecordFailure(error) });
      return;
    }
    const failedAt = error instanceof BatchItemError ? positions[error.index] : undefined;
    if (failedAt !== undefined) {
      await settle(options, records.slice(0, failedAt), outcome);
      await settle(options, records.slice(failedAt, failedAt + 1), outcome);
      await settle(options, records.slice(failedAt + 1), outcome);
      return;
    }
    const middle = Math.ceil(records.length / 2);
    await settle(options, records.slice(0, middle), outcome);
    await settle(options, records.slice(middle), outcome);
    return;
  }
  const fresh = new Set(result.positions);
  const rejected = new Map(result.rejected.map((rejection) => [result.positions[rejection.index], rejection.error]));
  for (const [position, { record }] of records.entries()) {
    if (!fresh.has(position)) outcome.duplicates.push(record);
    else if (rejected.has(position)) outcome.failed.push({ record, failure: toRecordFailure(rejected.get(position)) });
    else outcome.processed.push(record);
  }
}

/** One transaction: the inbox statement, the handler on the new records, the rejected records' inbox rows removed. */
async function runOnce<Event>(
  options: BatchTransactionOptions<Event>,
  records: ReadonlyArray<PreparedRecord<Event>>,
  onItems: (positions: number[]) => void,
): Promise<{ positions: number[]; rejected: Rejection[] }> {
  const { name, logger } = options;
  return inTransaction(options.pool, async (client) => {
    const positions = await claimInbox(
      client,
      name,
      records.map(({ record, decoded }) => ({ eventId: decoded.eventId, record })),
    );
    onItems(positions);
    if (positions.length === 0) return { positions, rejected: [] };
    // A consumer's handler nearly always replies through the outbox, not always through appendToOutbox
    // (a handler may write its rows within its own set-based statement): the relays of the pool are woken
    // after every batch that committed new records, so a reply never waits for the relay's poll. For a
    // consumer that writes no outbox row, that costs its relay one empty read per batch.
    markOutboxAppend(client);
    const items = positions.map((position, index): BatchItem<Event> => {
      const { record, decoded } = records[position] as PreparedRecord<Event>;
      return {
        index,
        event: decoded.event,
        eventId: decoded.eventId,
        ...(decoded.correlationId === undefined ? {} : { correlationId: decoded.correlationId }),
        record,
      };
    });
    const result = await options.handleBatch(items, { client, logger });
    const rejected = uniqueRejections(result?.rejected ?? [], items.length);
    await releaseInbox(
      client,
      name,
      rejected.map((rejection) => (items[rejection.index] as BatchItem<Event>).eventId),
    );
    return { positions, rejected };
  });
}

/** A handler naming an item that is not in the batch broke the contract: the batch fails (and is bisected). */
function uniqueRejections(rejected: readonly Rejection[], items: number): Rejection[] {
  const seen = new Map<number, Rejection>();
  for (const rejection of rejected) {
    if (!Number.isInteger(rejection.index) || rejection.index < 0 || rejection.index >= items) {
      throw new Error(`batch handler rejected item ${rejection.index}, which is not in the batch of ${items}`);
    }
    if (!seen.has(rejection.index)) seen.set(rejection.index, rejection);
  }
  return [...seen.values()];
}
