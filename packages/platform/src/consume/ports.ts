/**
 * The runner's port to Kafka: the few things it needs from a group member, built on @platformatic/kafka.
 *
 * The client has no per-partition pause (pausing its stream stops every partition). A partition whose
 * buffer is full is instead left out of the fetch requests, at the one call the stream makes to the
 * broker (`consumer.fetch`): its fetch position does not move, so fetching it again later resumes exactly
 * where it stopped, and the other partitions keep being fetched meanwhile. The hot-partition test in
 * test/consume fails if the client stops fetching through that call.
 */
import type { MessagesStream } from '@platformatic/kafka';
import { createConsumer, type KafkaConnection, type KafkaConsumer, type KafkaRecord } from '../kafka/clients.ts';
import type { Logger } from '../logger.ts';

export const CONSUMER_SESSION_TIMEOUT_MS = 15_000;
/** A third of the session timeout, as Kafka's own clients default to: three missed beats before eviction. */
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 3_000;
/**
 * Longest a fetch waits on the broker when no partition has new records. The broker answers as soon as a
 * record arrives (minBytes 1), so this does not delay delivery; it only sets how often an idle consumer
 * polls, and how long a newly assigned or un-throttled partition may wait for the poll in flight to end.
 */
export const CONSUMER_MAX_WAIT_MS = 5_000;
/** The poll wait while a partition is throttled, so it is fetched again soon after its buffer drains. */
export const THROTTLED_MAX_WAIT_MS = 100;
/** Bytes one fetch may bring per partition, which bounds what a partition gets past its buffer share. */
export const FETCH_MAX_BYTES_PER_PARTITION = 1_048_576;
/**
 * A fetch that was in flight when the client began retrying one, and is still unanswered this long after,
 * is answered empty so that the stream plans its fetches again on fresh metadata (see `openRecordSource`).
 */
export const STALLED_FETCH_REPLAN_MS = 3_000;
/** After a fetch failed because its broker is gone, the stream plans again this long after (no hot loop). */
export const LOST_BROKER_REPLAN_MS = 500;

/**
 * True when every failure in a fetch's error chain says the broker it was sent to is gone: a connection that
 * failed, or a node that the refreshed metadata no longer lists (a fenced broker leaves the metadata). The
 * client gives the latter no code of its own (a generic user error), so it is known by its message.
 */
export function isLostBrokerFailure(error: unknown): boolean {
  const nested = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.every(isLostBrokerFailure);
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'PLT_KFK_NETWORK') return true;
  return (
    code === 'PLT_KFK_USER' && typeof message === 'string' && message.startsWith('Cannot find broker with node id')
  );
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export interface RecordSourceOptions {
  connection: KafkaConnection;
  groupId: string;
  topics: readonly string[];
  /** Default: CONSUMER_MAX_WAIT_MS. */
  maxWaitMs?: number;
  /** True while a partition's buffer is full: it is left out of fetches until this turns false. */
  isFull(key: string): boolean;
  onRecord(record: KafkaRecord): void;
  /** The group's assignment may have changed: partitions no longer owned must be dropped. */
  onRebalance(): void;
  /** Where the member's group trouble is told (heartbeat errors, stalls, rejoins). Default: nowhere. */
  logger?: Logger;
}

/**
 * The client's group events worth a log line: a member that stops getting records for a while (a retry tier
 * answering a minute late on a busy machine) is explained by these, which the client tells no one else.
 */
const GROUP_TROUBLE_EVENTS = ['consumer:heartbeat:error', 'consumer:heartbeat:stalled', 'consumer:rejoin'] as const;

/** A group member's stream of records with per-partition fetch control. */
export interface RecordSource {
  /** Whether this member currently owns the partition. */
  owns(topic: string, partition: number): boolean;
  /** The partitions this member owns now, as `topic:partition` keys (for logs). */
  assigned(): string[];
  /** Commits the offset after `record` (the next to read) for the group. */
  commit(record: KafkaRecord): Promise<void>;
  /** A full partition has room again: fetch it without waiting for the poll in flight. */
  wake(): void;
  /** Moves a partition's fetch position back to `offset` (never forward). */
  rewind(topic: string, partition: number, offset: bigint): void;
  /** Resolves with the error that killed the stream (the client gave up after its retries). */
  readonly died: Promise<Error>;
  close(): Promise<void>;
}

type FetchCallback = (error: Error | null, response?: unknown) => void;
interface FetchRequestTopic {
  topicId: string;
  partitions: Array<{ partition: number }>;
}

/**
 * The first failure the client reports on the consumer itself, which it does when a rejoin of the group
 * fails for good ("joinGroup failed 17 times"): an 'error' event that nobody listens to ends the process,
 * which is how a Payment Service instance exited (code 1) in a chaos run after the group's coordinator had
 * moved twice. Listened to, it is the stream's death like any other: the runner opens a new consumer.
 */
export function failuresOf(consumer: Pick<NodeJS.EventEmitter, 'on'>): Promise<Error> {
  return new Promise<Error>((resolve) => {
    // Kept for the consumer's life: a second 'error' with no listener would end the process as well.
    consumer.on('error', (error: Error) => resolve(error));
  });
}

/** Joins the group and starts fetching; resolves once the stream is running. */
export async function openRecordSource(options: RecordSourceOptions): Promise<RecordSource> {
  const consumer: KafkaConsumer = createConsumer(options.connection, options.groupId, {
    sessionTimeout: CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatInterval: CONSUMER_HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
  });
  const maxWaitMs = options.maxWaitMs ?? CONSUMER_MAX_WAIT_MS;
  const consumerFailed = failuresOf(consumer);
  try {
    const metadata = await consumer.metadata({ topics: [...options.topics] });
    const topicNames = new Map<string, string>();
    for (const [name, topic] of metadata.topics) topicNames.set(topic.id, name);
    let waiting: (() => void) | undefined;
    // Fetches handed to the client and not answered yet, each with a way to answer it empty.
    const inFlight = new Set<() => void>();
    // When the broker a fetch was planned for dies, the client retries that request, re-resolving its node
    // on fresh metadata each time. If the request's partitions then have different new leaders, it falls
    // back to the planned node, the dead one, and retries there until its attempts are spent (about 30 s),
    // then the stream dies and the member must rejoin its group: measured on the three-node cluster, a
    // killed leader stopped consumption for over 30 s although the new leaders were elected within 10 s.
    // Answered empty instead, the fetch lets the stream plan again: its partitions go to their new leaders.
    // Nothing is lost: an empty answer moves no fetch position (the records are fetched again), and the
    // client's late answer to the abandoned request is ignored.
    let replanTimer: NodeJS.Timeout | undefined;
    consumer.on('client:performWithRetry:retry', (operationId: unknown) => {
      if (operationId !== 'fetch' || replanTimer !== undefined) return;
      const stalled = [...inFlight];
      replanTimer = setTimeout(() => {
        replanTimer = undefined;
        for (const answerEmpty of stalled) answerEmpty();
      }, STALLED_FETCH_REPLAN_MS);
      replanTimer.unref();
    });
    const fetch = consumer.fetch.bind(consumer) as unknown as (
      options: Record<string, unknown>,
      callback: FetchCallback,
    ) => void;
    // Throttling at the fetch call; see the module comment.
    (consumer as unknown as { fetch: unknown }).fetch = (request: Record<string, unknown>, callback: FetchCallback) => {
      let throttled = false;
      const topics: FetchRequestTopic[] = [];
      for (const entry of request.topics as FetchRequestTopic[]) {
        const name = topicNames.get(entry.topicId);
        const partitions = entry.partitions.filter(
          (p) => name === undefined || !options.isFull(partitionKey(name, p.partition)),
        );
        if (partitions.length < entry.partitions.length) throttled = true;
        if (partitions.length > 0) topics.push({ ...entry, partitions });
      }
      if (topics.length === 0) {
        // Every partition is full: ask the broker nothing, and answer the stream with an empty fetch once a
        // partition has room (or after a poll's time, as the broker would have).
        const timer = setTimeout(() => waiting?.(), maxWaitMs);
        waiting = () => {
          waiting = undefined;
          clearTimeout(timer);
          callback(null, { responses: [] });
        };
        return;
      }
      let answered = false;
      const answer = (error: Error | null, response?: unknown) => {
        if (answered) return;
        answered = true;
        inFlight.delete(answerEmpty);
        if (error !== null && isLostBrokerFailure(error)) {
          // The partitions' leaders moved (or are moving) off a dead broker: plan again on fresh metadata
          // rather than let the stream die over it (it would, and the member would have to rejoin).
          consumer.clearMetadata();
          setTimeout(() => callback(null, { responses: [] }), LOST_BROKER_REPLAN_MS).unref();
          return;
        }
        callback(error, response);
      };
      const answerEmpty = () => answer(null, { responses: [] });
      inFlight.add(answerEmpty);
      fetch(
        { ...request, topics, ...(throttled ? { maxWaitTime: Math.min(maxWaitMs, THROTTLED_MAX_WAIT_MS) } : {}) },
        answer,
      );
    };
    // The default mode ('latest') ignores committed offsets: resume from them, and start a new group at the
    // beginning so nothing published before its first start is missed.
    const stream: MessagesStream<string, Buffer, string, Buffer> = await consumer.consume({
      topics: [...options.topics],
      mode: 'committed',
      fallbackMode: 'earliest',
      maxWaitTime: maxWaitMs,
    });
    // After a join the assignment is the new one (the client sets it before emitting the event).
    consumer.on('consumer:group:join', () => options.onRebalance());
    const { logger } = options;
    if (logger !== undefined) {
      for (const event of GROUP_TROUBLE_EVENTS) {
        consumer.on(event, (payload?: { error?: unknown; lastError?: unknown; stalledFor?: number }) =>
          logger.warn(
            {
              err: payload?.error ?? payload?.lastError,
              stalledForMs: payload?.stalledFor,
              group: options.groupId,
              event,
            },
            'consumer group trouble',
          ),
        );
      }
    }
    const died = Promise.race([new Promise<Error>((resolve) => stream.once('error', resolve)), consumerFailed]);
    stream.on('data', (record: KafkaRecord) => options.onRecord(record));
    return {
      owns: (topic, partition) =>
        consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false,
      assigned: () => (consumer.assignments ?? []).flatMap((a) => a.partitions.map((p) => partitionKey(a.topic, p))),
      commit: (record) => record.commit() as Promise<void>,
      wake: () => waiting?.(),
      rewind: (topic, partition, offset) => {
        const key = partitionKey(topic, partition);
        const current = stream.offsetsToFetch.get(key);
        if (current === undefined || offset < current) stream.offsetsToFetch.set(key, offset);
      },
      died,
      close: async () => {
        clearTimeout(replanTimer);
        waiting?.();
        await stream.close().catch(() => {});
        await consumer.close(true).catch(() => {});
      },
    };
  } catch (error) {
    await consumer.close(true).catch(() => {});
    throw error;
  }
}
