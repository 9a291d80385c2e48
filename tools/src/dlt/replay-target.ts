import {
  type ConsumerId,
  consumer as catalogConsumer,
  FAILURE_HEADERS,
  findTopicByName,
  retryTopicsOf,
  type TopicDefinition,
} from '@shop/contracts';
import type { KafkaNamespace } from '@shop/platform';
import { type DeadLetter, headerText } from './dead-letter.ts';
import { resolveCatalogTopic } from './dlt-filter.ts';
import { dltError } from './errors.ts';

/** `--to retry`: the failing consumer's first retry tier. The default. */
export const TARGET_RETRY = 'retry';
/** `--to source`: the topic the record was first consumed from (every consumer of it sees the record again). */
export const TARGET_SOURCE = 'source';

/** What `--to` asked for, checked against the catalog before anything is read or published. */
export type TargetSpec =
  | { readonly kind: 'retry' }
  | { readonly kind: 'source' }
  | { readonly kind: 'topic'; readonly definition: TopicDefinition };

/** Where one record goes. */
export interface ResolvedTarget {
  /** Namespaced topic name. */
  readonly topic: string;
  /** Retry tier of the target (1 = first), or undefined for a business topic. Sets the attempt count. */
  readonly tier?: number;
  /** Group ids other than the failing consumer's that read the target and will receive the record too. */
  readonly alsoDeliveredTo: readonly string[];
}

/** Parses `--to`: `retry` (default), `source`, or a catalog topic id or name. */
export function parseTarget(option: string | undefined, namespace: KafkaNamespace): TargetSpec {
  const text = option ?? TARGET_RETRY;
  if (text === TARGET_RETRY) return { kind: 'retry' };
  if (text === TARGET_SOURCE) return { kind: 'source' };
  const definition = resolveCatalogTopic(text, namespace);
  if (definition === undefined) {
    throw dltError('DLT_UNKNOWN_TOPIC', `--to ${text}: no such topic in the catalog`, {
      hint: `Use ${TARGET_RETRY} (default), ${TARGET_SOURCE}, or a catalog topic id or name.`,
    });
  }
  return { kind: 'topic', definition };
}

/**
 * Whether `definition` is a topic consumer `consumerId` reads: one of its retry tiers, or one of its source
 * topics. Replaying anywhere else would reach nobody (a dead-letter topic) or the wrong consumer.
 */
function tierOrSource(consumerId: ConsumerId, definition: TopicDefinition): { tier?: number } | undefined {
  if (definition.kind === 'retry') {
    return definition.failurePath?.consumerId === consumerId ? { tier: definition.failurePath.tier ?? 1 } : undefined;
  }
  if (definition.kind === 'event' || definition.kind === 'command') {
    return (catalogConsumer(consumerId).sources as readonly string[]).includes(definition.id) ? {} : undefined;
  }
  return undefined;
}

/** Throws when an explicit `--to` topic is not read by every consumer whose dead letters are selected. */
export function checkTargetFor(spec: TargetSpec, consumers: readonly ConsumerId[]): void {
  if (spec.kind !== 'topic') return;
  const wrong = consumers.filter((consumerId) => tierOrSource(consumerId, spec.definition) === undefined);
  if (wrong.length > 0) {
    throw dltError('DLT_INVALID_TARGET', `--to ${spec.definition.name} is not read by ${wrong.join(', ')}`, {
      hint: 'Name a retry tier or a source topic of the failing consumer, and narrow the selection with --consumer.',
    });
  }
}

function otherReaders(consumerId: ConsumerId, definition: TopicDefinition): string[] {
  return definition.consumers.filter((reader) => reader.consumerId !== consumerId).map((reader) => reader.groupId);
}

/** Where `record` goes under `spec`, or why it cannot go anywhere. */
export function resolveTarget(
  spec: TargetSpec,
  record: DeadLetter,
  namespace: KafkaNamespace,
): ResolvedTarget | { readonly unresolved: string } {
  const consumerId = record.consumerId;
  if (spec.kind === 'retry') {
    const first = retryTopicsOf(consumerId)[0];
    if (first === undefined) return { unresolved: `consumer ${consumerId} has no retry tier` };
    return { topic: namespace.topic(first.name), tier: 1, alsoDeliveredTo: [] };
  }
  const definition =
    spec.kind === 'topic'
      ? spec.definition
      : (() => {
          const original = headerText(record, FAILURE_HEADERS.originalTopic);
          const catalogName = original === undefined ? undefined : namespace.catalogName(original);
          return catalogName === undefined ? undefined : findTopicByName(catalogName);
        })();
  if (definition === undefined) {
    return { unresolved: `no ${FAILURE_HEADERS.originalTopic} header naming a catalog topic of this namespace` };
  }
  const position = tierOrSource(consumerId, definition);
  if (position === undefined) return { unresolved: `${definition.name} is not read by consumer ${consumerId}` };
  return {
    topic: namespace.topic(definition.name),
    ...(position.tier === undefined ? {} : { tier: position.tier }),
    alsoDeliveredTo: otherReaders(consumerId, definition),
  };
}
