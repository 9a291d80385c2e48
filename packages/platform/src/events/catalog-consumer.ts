import type { Tracer } from '@opentelemetry/api';
import {
  type ConsumerId,
  consumer as catalogConsumer,
  type DecodedEvent,
  deadLetterTopicOf,
  decodeRecord,
  type EventMeta,
  RETRY_DELAYS_MS,
  retryTopicsOf,
  topic,
  topicName,
} from '@shop/contracts';
import type { Registry } from 'prom-client';
import { ConsumerRunner } from '../consume/consumer-runner.ts';
import { InboxPruner } from '../consume/inbox-pruner.ts';
import { adaptRecordHandler } from '../consume/record-handler.ts';
import type {
  BatchContext,
  BatchHandler,
  BatchResult,
  ConsumerRunnerOptions,
  Decoded,
  HandlerContext,
  KafkaRecord,
} from '../consume/types.ts';
import type { Pool } from '../db/pool.ts';
import type { KafkaConnection, KafkaProducer } from '../kafka/clients.ts';
import { RetryDeadLetterRouter, retryDueAt } from '../kafka/failure-router.ts';
import type { KafkaNamespace } from '../kafka/namespace.ts';
import type { Logger } from '../logger.ts';

export interface EventHandlerContext extends HandlerContext {
  /** The event's metadata (ids for causation, correlation and the inbox). */
  meta: EventMeta;
}

export type EventHandler = (event: DecodedEvent, context: EventHandlerContext) => Promise<void>;

/** One new record of a catalog consumer's batch: the decoded event and its metadata. */
export interface EventBatchItem {
  /** Position in the batch, as `BatchItemError.index` and `BatchResult.rejected[].index` refer to it. */
  readonly index: number;
  readonly event: DecodedEvent;
  readonly meta: EventMeta;
  readonly record: KafkaRecord;
}

/**
 * A catalog consumer's set-based handler: the whole batch on one transaction. The contract (ordering,
 * rejections, `BatchItemError`, re-runs after a split) is `BatchHandler`'s in `consume/types.ts`.
 */
export type EventBatchHandler = (
  items: ReadonlyArray<EventBatchItem>,
  context: BatchContext,
) => Promise<BatchResult | undefined>;

/**
 * Adapts a per-record handler to the batch contract: the items are handled one after the other, in order,
 * on the batch's transaction. An item failing for a reason of its own throws `BatchItemError(index)` (the
 * runner then commits the items before it without it and routes it alone); an infrastructure failure is
 * thrown as it is (the whole batch is retried in place).
 */
export function adaptEventHandler(handle: EventHandler): EventBatchHandler {
  const perRecord = adaptRecordHandler<Envelope>((envelope, context) =>
    handle(envelope.event, { ...context, meta: envelope.meta }),
  );
  return (items, context) =>
    perRecord(
      items.map((item) => ({
        index: item.index,
        event: { event: item.event, meta: item.meta },
        eventId: item.meta.eventId,
        correlationId: item.meta.correlationId,
        record: item.record,
      })),
      context,
    );
}

/** Exactly one of the two: a per-record handler (adapted with `adaptEventHandler`) or a batch handler. */
export type CatalogConsumerHandler =
  | { handle: EventHandler; handleBatch?: never }
  | { handleBatch: EventBatchHandler; handle?: never };

export type CatalogConsumerOptions = CatalogConsumerBaseOptions & CatalogConsumerHandler;

export interface CatalogConsumerBaseOptions {
  /** The consumer's logical id in the contracts catalog; its group, sources, retry and DLT topics come from there. */
  consumer: ConsumerId;
  connection: KafkaConnection;
  namespace: KafkaNamespace;
  pool: Pool;
  logger: Logger;
  /** Publishes to the retry tiers and the dead-letter topic. */
  producer: KafkaProducer;
  registry?: Registry;
  /** Makes a consumer span per record. Default: none (tracing off). */
  tracer?: Tracer;
  /** Delay of each retry tier. Default: the catalog's RETRY_DELAYS_MS. Tests shorten them. */
  retryDelaysMs?: readonly number[];
  /** See `ConsumerRunnerOptions.afterTransaction` in consume/types.ts (crash tests only). */
  afterTransaction?(record: KafkaRecord): void;
  /** See `ConsumerRunnerOptions.openSource` (fault-injection tests only). */
  openSource?: ConsumerRunnerOptions<unknown>['openSource'];
}

interface Envelope {
  event: DecodedEvent;
  meta: EventMeta;
}

/**
 * A catalog consumer with its whole failure path: the main group on the source topics, and one group for
 * its retry tiers (a record waiting out its delay holds back only its own partition, never the source
 * topics, which are another group's, nor another tier). Both share one router: transient failures climb the tiers, poison and exhausted records go to
 * the dead-letter topic, infrastructure failures are retried in place by each runner.
 */
export class CatalogConsumer {
  readonly #runners: ConsumerRunner<Envelope>[];
  readonly #inboxPruner: InboxPruner;

  constructor(options: CatalogConsumerOptions) {
    const definition = catalogConsumer(options.consumer);
    const { namespace } = options;
    const tiers = retryTopicsOf(options.consumer);
    const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const router = new RetryDeadLetterRouter({
      consumerGroup: definition.groupId,
      consumerName: definition.groupId,
      retryTopics: tiers.map((tier) => namespace.topic(tier.name)),
      retryDelaysMs: tiers.map((_, index) => delays[index] ?? 0),
      deadLetterTopic: namespace.topic(deadLetterTopicOf(options.consumer).name),
      producer: options.producer,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    });
    const decode = (record: KafkaRecord): Decoded<Envelope> => {
      const result = decodeRecord(record.value, record.headers, {
        topic: namespace.catalogName(record.topic) ?? record.topic,
        key: record.key ?? null,
      });
      if (!result.ok)
        return {
          ok: false,
          code: result.code,
          reason: result.field ? `${result.reason} (${result.field})` : result.reason,
        };
      return {
        ok: true,
        event: { event: result.event, meta: result.meta },
        eventId: result.meta.eventId,
        correlationId: result.meta.correlationId,
      };
    };
    if ((options.handle === undefined) === (options.handleBatch === undefined)) {
      throw new Error('CatalogConsumer needs exactly one of handle and handleBatch');
    }
    const eventBatch = options.handleBatch ?? adaptEventHandler(options.handle as EventHandler);
    const handleBatch: BatchHandler<Envelope> = (items, context) =>
      eventBatch(
        items.map((item) => ({
          index: item.index,
          event: item.event.event,
          meta: item.event.meta,
          record: item.record,
        })),
        context,
      );
    const common = {
      // The inbox is shared by the main consumer and its tiers: an event handled in a tier is a duplicate in the others.
      name: definition.groupId,
      connection: options.connection,
      pool: options.pool,
      logger: options.logger,
      decode,
      handleBatch,
      failures: router,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
      ...(options.afterTransaction === undefined ? {} : { afterTransaction: options.afterTransaction }),
      ...(options.openSource === undefined ? {} : { openSource: options.openSource }),
    };
    this.#inboxPruner = new InboxPruner({
      pool: options.pool,
      logger: options.logger,
      consumer: definition.groupId,
      retentionMs: inboxRetentionMs(options.consumer),
    });
    this.#runners = [
      new ConsumerRunner<Envelope>({
        ...common,
        groupId: namespace.group(definition.groupId),
        topics: definition.sources.map((source) => namespace.topic(topicName(source))),
      }),
      // One member drains every tier: the runner waits per partition for a record's due time, so a tier
      // waiting out its delay never holds back another tier (nor, in its own group, the source topics).
      ...(tiers.length === 0
        ? []
        : [
            new ConsumerRunner<Envelope>({
              ...common,
              groupId: namespace.group(tiers[0]?.consumers[0]?.groupId ?? `${definition.groupId}.retry`),
              topics: tiers.map((tier) => namespace.topic(tier.name)),
              dueAt: retryDueAt,
            }),
          ]),
    ];
  }

  /**
   * Starts every runner. All or nothing: when one fails to start, the others are stopped (once their own
   * start has settled) before the error is thrown, so a failed start leaves no group member behind and the
   * caller, which never got a started consumer, has nothing to close.
   */
  async start(): Promise<void> {
    const started = await Promise.allSettled(this.#runners.map((runner) => runner.start()));
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure === undefined) {
      this.#inboxPruner.start();
      return;
    }
    await Promise.allSettled(this.#runners.map((runner) => runner.stop()));
    throw failure.reason;
  }

  async stop(): Promise<void> {
    await Promise.all([this.#inboxPruner.stop(), ...this.#runners.map((runner) => runner.stop())]);
  }

  get healthy(): boolean {
    return this.#runners.every((runner) => runner.healthy);
  }
}

/**
 * How long a consumer's inbox rows are kept: the longest retention of the topics it reads (its sources and
 * its retry tiers, which share its inbox). A record older than that is gone from Kafka and cannot be
 * redelivered, so its row can no longer catch a duplicate.
 */
export function inboxRetentionMs(consumerId: ConsumerId): number {
  const read = [...catalogConsumer(consumerId).sources.map((source) => topic(source)), ...retryTopicsOf(consumerId)];
  return Math.max(...read.map((definition) => definition.retentionMs));
}
