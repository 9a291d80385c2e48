import { createHash } from 'node:crypto';
import { FAILURE_HEADERS, MAX_FAILURE_MESSAGE_LENGTH } from '@shop/contracts/failure-headers';
import { Counter, type Registry } from 'prom-client';
import type { FailureRouter, KafkaRecord, RecordFailure } from '../consume/types.ts';
import type { KafkaProducer } from './clients.ts';

/** Stack frames hashed into the fingerprint; deeper frames are framework plumbing. */
const FINGERPRINT_FRAMES = 8;

export interface RetryDeadLetterRouterOptions {
  /** Catalog group id of the consumer (recorded in the headers). */
  consumerGroup: string;
  /** Name used in metrics. */
  consumerName: string;
  /** The consumer's retry tier topics, in order (already namespaced). Empty: transient failures dead-letter at once. */
  retryTopics: readonly string[];
  /** Delay of each tier; same length as `retryTopics`. */
  retryDelaysMs: readonly number[];
  deadLetterTopic: string;
  producer: KafkaProducer;
  registry?: Registry;
  now?: () => Date;
}

/**
 * Sends a failed record to the consumer's next retry tier (transient failures, while tiers remain) or to
 * its dead-letter topic (poison, or retries exhausted), with the original key, value and headers and the
 * failure headers. Resolves once the broker acknowledged the copy (idempotent producer, acks=all), so the
 * runner may then commit the source offset: the record is never lost between the two.
 */
export class RetryDeadLetterRouter implements FailureRouter {
  readonly #options: RetryDeadLetterRouterOptions;
  readonly #failures: Counter<'consumer' | 'code' | 'outcome'> | undefined;

  constructor(options: RetryDeadLetterRouterOptions) {
    if (options.retryTopics.length !== options.retryDelaysMs.length) {
      throw new Error('retryTopics and retryDelaysMs must have the same length');
    }
    this.#options = options;
    const registry = options.registry;
    this.#failures =
      registry === undefined
        ? undefined
        : ((registry.getSingleMetric('consumer_failures_total') as
            | Counter<'consumer' | 'code' | 'outcome'>
            | undefined) ??
          new Counter({
            name: 'consumer_failures_total',
            help: 'Records sent to a retry tier or the dead-letter topic, by consumer and error code',
            labelNames: ['consumer', 'code', 'outcome'],
            registers: [registry],
          }));
  }

  async route(record: KafkaRecord, failure: RecordFailure): Promise<'retried' | 'dead-lettered'> {
    const { retryTopics, retryDelaysMs, deadLetterTopic, producer, consumerGroup } = this.#options;
    const now = (this.#options.now ?? (() => new Date()))();
    const text = (name: string) => record.headers.get(name)?.toString();
    // Invariant `dlt replay` relies on: a record in retry tier n carries `failure-attempts` = n, so the tier
    // a failing record goes to next is derived from the header alone.
    const attempts = Number(text(FAILURE_HEADERS.attempts) ?? 0) + 1;
    const tier = attempts - 1;
    const retry = failure.kind === 'transient' && tier < retryTopics.length;
    const target = retry ? retryTopics[tier] : deadLetterTopic;
    if (target === undefined) throw new Error('no target topic');

    const headers = new Map<string, Buffer>();
    for (const [name, value] of record.headers) {
      if (name !== FAILURE_HEADERS.retryNotBefore) headers.set(name, value);
    }
    const set = (name: string, value: string) => headers.set(name, Buffer.from(value));
    // The origin is the first failure's: a record failing again in a retry tier keeps pointing at the source.
    if (text(FAILURE_HEADERS.originalTopic) === undefined) {
      set(FAILURE_HEADERS.originalTopic, record.topic);
      set(FAILURE_HEADERS.originalPartition, String(record.partition));
      set(FAILURE_HEADERS.originalOffset, String(record.offset));
      set(FAILURE_HEADERS.originalTimestamp, String(record.timestamp));
      set(FAILURE_HEADERS.firstFailureAt, now.toISOString());
    }
    set(FAILURE_HEADERS.consumerGroup, consumerGroup);
    set(FAILURE_HEADERS.kind, failure.kind);
    set(FAILURE_HEADERS.errorCode, failure.code);
    set(FAILURE_HEADERS.errorMessage, failure.message.slice(0, MAX_FAILURE_MESSAGE_LENGTH));
    set(FAILURE_HEADERS.stackFingerprint, stackFingerprint(failure));
    set(FAILURE_HEADERS.attempts, String(attempts));
    set(FAILURE_HEADERS.lastFailureAt, now.toISOString());
    if (retry) set(FAILURE_HEADERS.retryNotBefore, new Date(now.getTime() + (retryDelaysMs[tier] ?? 0)).toISOString());

    await producer.send({ messages: [{ topic: target, key: record.key, value: record.value, headers }] });
    const outcome = retry ? 'retried' : 'dead-lettered';
    this.#failures?.inc({ consumer: this.#options.consumerName, code: failure.code, outcome });
    return outcome;
  }
}

/** Groups failures by where they happened: the stack's frames without line and column numbers. */
export function stackFingerprint(failure: Pick<RecordFailure, 'code' | 'stack'>): string {
  const frames = (failure.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, FINGERPRINT_FRAMES)
    .map((line) => line.trim().replace(/:\d+:\d+\)?$/, ''));
  return createHash('sha256').update(failure.code).update(frames.join('\n')).digest('hex').slice(0, 16);
}

/** When a retry-tier record may be handled: its `retry-not-before` header, or now. */
export function retryDueAt(record: KafkaRecord): number | undefined {
  const value = record.headers.get(FAILURE_HEADERS.retryNotBefore)?.toString();
  if (value === undefined) return undefined;
  const due = Date.parse(value);
  return Number.isNaN(due) ? undefined : due;
}
