import {
  type ConsumerId,
  consumer as catalogConsumer,
  type DecodedEvent,
  deadLetterTopicOf,
  decodeRecord,
  type EventMeta,
  RETRY_DELAYS_MS,
  retryTopicsOf,
  topicName,
} from '@shop/contracts';
import type { Registry } from 'prom-client';
import type { BatchContext, BatchResult } from '../consume/types.ts';
import type { Pool } from '../db/pool.ts';
import type { KafkaConnection, KafkaProducer } from '../kafka/clients.ts';
import { ConsumerRunner, type Decoded, type HandlerContext, type KafkaRecord } from '../kafka/consumer-runner.ts';
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

export interface CatalogConsumerOptions {
  /** The consumer's logical id in the contracts catalog; its group, sources, retry and DLT topics come from there. */
  consumer: ConsumerId;
  handle: EventHandler;
  connection: KafkaConnection;
  namespace: KafkaNamespace;
  pool: Pool;
  logger: Logger;
  /** Publishes to the retry tiers and the dead-letter topic. */
  producer: KafkaProducer;
  registry?: Registry;
  /** Delay of each retry tier. Default: the catalog's RETRY_DELAYS_MS. Tests shorten them. */
  retryDelaysMs?: readonly number[];
  /** See ConsumerRunnerOptions.afterTransaction (crash tests only). */
  afterTransaction?(record: KafkaRecord): void;
}

interface Envelope {
  event: DecodedEvent;
  meta: EventMeta;
}

/**
 * A catalog consumer with its whole failure path: the main group on the source topics, and one group per
 * retry tier (each draining its own tier topic, so a record waiting out its delay never blocks the source
 * partitions). All share one router: transient failures climb the tiers, poison and exhausted records go to
 * the dead-letter topic, infrastructure failures are retried in place by each runner.
 */
export class CatalogConsumer {
  readonly #runners: ConsumerRunner<Envelope>[];

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
    const handle = (envelope: Envelope, context: HandlerContext) =>
      options.handle(envelope.event, { ...context, meta: envelope.meta });
    const common = {
      // The inbox is shared by the main consumer and its tiers: an event handled in a tier is a duplicate in the others.
      name: definition.groupId,
      connection: options.connection,
      pool: options.pool,
      logger: options.logger,
      decode,
      handle,
      failures: router,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.afterTransaction === undefined ? {} : { afterTransaction: options.afterTransaction }),
    };
    this.#runners = [
      new ConsumerRunner<Envelope>({
        ...common,
        groupId: namespace.group(definition.groupId),
        topics: definition.sources.map((source) => namespace.topic(topicName(source))),
      }),
      ...tiers.map(
        (tier) =>
          new ConsumerRunner<Envelope>({
            ...common,
            groupId: namespace.group(tier.consumers[0]?.groupId ?? `${definition.groupId}.${tier.name}`),
            topics: [namespace.topic(tier.name)],
            dueAt: retryDueAt,
          }),
      ),
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.#runners.map((runner) => runner.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#runners.map((runner) => runner.stop()));
  }

  get healthy(): boolean {
    return this.#runners.every((runner) => runner.healthy);
  }
}
