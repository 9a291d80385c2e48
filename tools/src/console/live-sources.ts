/**
 * The console's background readers: the consumer groups' lag (the lag tools' reader and Burrow-style status
 * window, never a group member) and the overview (the services' /health and /metrics). Each keeps its latest
 * snapshot and tells subscribers when a new one is taken; the streams send what changed.
 */
import { allTopics } from '@shop/contracts';
import type { KafkaConnection, KafkaNamespace } from '@shop/platform';
import { describeAction, provisionTopics, type TopicAction } from '@shop/platform/provisioning';
import { type GroupLag, type GroupTopics, LagReader } from '../lag/lag-reader.ts';
import { LagTracker } from '../lag/lag-sample.ts';
import {
  type GroupLagView,
  type LagSnapshot,
  type LagStatus,
  type OverviewSnapshot,
  SERVICE_NAMES,
  type ServiceHealth,
  type TopicsSnapshot,
} from './contracts.ts';
import { countDeadLetters, type DeadLetterOptions } from './dead-letters.ts';
import type { ConsoleErrorCode } from './errors.ts';
import { parseSamples, type Sample, sumOf } from './prometheus-text.ts';
import { callService, readPart, type ServiceTarget } from './service-client.ts';

/**
 * The saga summary is a count over every saga of the Order Service (a scan, like its order_sagas gauge), so
 * the overview reads it at most this often however short its own poll.
 */
export const SAGA_SUMMARY_MIN_INTERVAL_MS = 5_000;

/** The overview's dead-letter window. */
export const DEAD_LETTER_WINDOW = '1h';

/** Readings of a group's total lag kept for its history chart. */
export const LAG_HISTORY_POINTS = 60;

type Listener = () => void;

/** How long stop() waits for a reading under way before it lets the caller close the clients. */
const STOP_WAIT_MS = 3_000;

/** Runs `poll` now and then `intervalMs` after each poll ends (polls never overlap) until stop(). */
abstract class Poller {
  readonly #intervalMs: number;
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  protected abstract poll(): Promise<void>;

  start(): void {
    const loop = async () => {
      this.#running = this.poll().catch(() => {
        // poll() records its own failures in the snapshot; nothing may stop the loop.
      });
      await this.#running;
      for (const listener of this.#listeners) listener();
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#intervalMs);
    };
    void loop();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    // A reading stuck on a cluster that went away must not hold up the shutdown; closing its client ends it.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([this.#running, bound]);
    clearTimeout(timer);
  }
}

export class LagSource extends Poller {
  readonly #reader: LagReader;
  readonly #groups: readonly GroupTopics[];
  readonly #tracker: LagTracker;
  readonly #history = new Map<string, { at: number; lag: number }[]>();
  #snapshot: LagSnapshot | undefined;

  constructor(options: {
    connection: KafkaConnection;
    groups: readonly GroupTopics[];
    intervalMs: number;
    /** Readings in the status window (STOP after the window's duration without progress). */
    windowSamples: number;
  }) {
    super(options.intervalMs);
    this.#reader = new LagReader(options.connection);
    this.#groups = options.groups;
    this.#tracker = new LagTracker({
      windowSamples: options.windowSamples,
      stopAfterMs: options.windowSamples * options.intervalMs,
    });
  }

  /** Undefined until the first reading ended. */
  get snapshot(): LagSnapshot | undefined {
    return this.#snapshot;
  }

  protected async poll(): Promise<void> {
    let readings: GroupLag[];
    try {
      readings = await this.#reader.read(this.#groups);
    } catch (error) {
      this.#snapshot = {
        at: new Date().toISOString(),
        groups: {
          ok: false,
          error: {
            code: 'CON_KAFKA_UNAVAILABLE' satisfies ConsoleErrorCode,
            message: `The Kafka cluster could not be read: ${(error as Error).message}`,
          },
        },
      };
      return;
    }
    this.#tracker.add(readings);
    const statuses = this.#tracker.statuses();
    const groups: GroupLagView[] = readings.map((reading) => {
      const totalLag = reading.partitions.reduce((sum, p) => sum + Number(p.lag ?? 0n), 0);
      const history = this.#history.get(reading.group) ?? [];
      history.push({ at: reading.readAt, lag: totalLag });
      if (history.length > LAG_HISTORY_POINTS) history.shift();
      this.#history.set(reading.group, history);
      return {
        group: reading.group,
        state: reading.state,
        members: reading.members,
        status: (statuses.get(reading.group) ?? 'UNKNOWN') satisfies LagStatus,
        totalLag,
        partitions: reading.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          committedOffset: p.committedOffset === undefined ? null : String(p.committedOffset),
          logEndOffset: String(p.logEndOffset),
          lag: p.lag === undefined ? null : Number(p.lag),
          timeLagMs: p.timeLagMs ?? null,
        })),
        history: [...history],
        ...(reading.error === undefined ? {} : { error: reading.error }),
      };
    });
    this.#snapshot = { at: new Date().toISOString(), groups: { ok: true, value: groups } };
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.#reader.close();
  }
}

interface OrderCounters {
  at: number;
  placed: number;
  confirmed: number;
  cancelled: number;
}

/**
 * Dead letters per consumer in the last hour, by record timestamp: a scan of every dead-letter topic from an
 * hour back, so it runs on its own (slower) interval and the overview shows its latest count.
 */
export class DeadLetterCountSource extends Poller {
  readonly #options: DeadLetterOptions;
  #snapshot: OverviewSnapshot['deadLettersLastHour'];

  constructor(options: { deadLetters: DeadLetterOptions; intervalMs: number }) {
    super(options.intervalMs);
    this.#options = options.deadLetters;
  }

  get snapshot(): OverviewSnapshot['deadLettersLastHour'] {
    return this.#snapshot;
  }

  protected async poll(): Promise<void> {
    const counted = await countDeadLetters(this.#options, DEAD_LETTER_WINDOW);
    this.#snapshot = counted.ok ? { ok: true, value: counted.value } : { ok: false, error: counted.error };
  }
}

export class OverviewSource extends Poller {
  readonly #target: ServiceTarget;
  readonly #lag: LagSource;
  readonly #deadLetters: DeadLetterCountSource | undefined;
  #previous: OrderCounters | undefined;
  #snapshot: OverviewSnapshot | undefined;
  #sagas: { at: number; part: OverviewSnapshot['sagas'] } | undefined;

  constructor(options: {
    target: ServiceTarget;
    lag: LagSource;
    /** The dead letters of the last hour; without it the overview has none. */
    deadLetters?: DeadLetterCountSource;
    intervalMs: number;
  }) {
    super(options.intervalMs);
    this.#target = options.target;
    this.#lag = options.lag;
    this.#deadLetters = options.deadLetters;
  }

  get snapshot(): OverviewSnapshot | undefined {
    return this.#snapshot;
  }

  protected async poll(): Promise<void> {
    const sagasRead = this.#readSagas();
    const scraped = await Promise.all(
      SERVICE_NAMES.map(async (service) => {
        const answer = await callService(this.#target, service, '/metrics', {
          caller: { as: 'operator' },
          accept: 'text/plain',
        });
        if (answer.status !== 200 || typeof answer.body !== 'string') {
          const message = (answer.body as { error?: { message?: string } }).error?.message;
          return { service, samples: undefined, error: message ?? `/metrics answered ${answer.status}` };
        }
        return { service, samples: parseSamples(answer.body), error: undefined };
      }),
    );
    const services: ServiceHealth[] = scraped.map(({ service, samples, error }) =>
      samples === undefined
        ? { service, up: false, ...(error === undefined ? {} : { error }) }
        : { service, up: true, outboxBacklog: sumOf(samples, 'outbox_backlog') },
    );
    const orderSamples = scraped.find((entry) => entry.service === 'order')?.samples;
    const counters = orderSamples === undefined ? undefined : orderCounters(orderSamples);
    const rates = counters === undefined ? undefined : ratesBetween(this.#previous, counters);
    this.#previous = counters;
    const lag = this.#lag.snapshot;
    const groups: OverviewSnapshot['groups'] =
      lag === undefined
        ? { ok: true, value: {} }
        : lag.groups.ok
          ? { ok: true, value: countStatuses(lag.groups.value) }
          : lag.groups;
    this.#snapshot = {
      at: new Date().toISOString(),
      ...(rates === undefined ? {} : { rates }),
      ...(counters === undefined ? {} : { inFlight: counters.placed - counters.confirmed - counters.cancelled }),
      services,
      groups,
      sagas: await sagasRead,
      ...(this.#deadLetters?.snapshot === undefined ? {} : { deadLettersLastHour: this.#deadLetters.snapshot }),
    };
  }

  /** The last summary while it is fresh; a failed read is retried on the next poll. */
  async #readSagas(): Promise<OverviewSnapshot['sagas']> {
    const cached = this.#sagas;
    if (cached?.part.ok && Date.now() - cached.at < SAGA_SUMMARY_MIN_INTERVAL_MS) {
      return cached.part;
    }
    const part = await readPart(
      this.#target,
      'order',
      '/sagas/summary',
      { as: 'operator' },
      (body) => (body as { states: Record<string, number> }).states,
    );
    this.#sagas = { at: Date.now(), part };
    return part;
  }
}

function orderCounters(samples: readonly Sample[]): OrderCounters {
  return {
    at: Date.now(),
    placed: sumOf(samples, 'orders_placed_total'),
    confirmed: sumOf(samples, 'orders_settled_total', { status: 'CONFIRMED' }),
    cancelled: sumOf(samples, 'orders_settled_total', { status: 'CANCELLED' }),
  };
}

/** Per-second rates between two readings; undefined without a previous one (or after a counter reset). */
export function ratesBetween(
  previous: OrderCounters | undefined,
  current: OrderCounters,
): OverviewSnapshot['rates'] | undefined {
  if (previous === undefined || current.placed < previous.placed) return undefined;
  const seconds = (current.at - previous.at) / 1_000;
  if (seconds <= 0) return undefined;
  const rate = (now: number, before: number) => Math.round(((now - before) / seconds) * 100) / 100;
  const placed = rate(current.placed, previous.placed);
  const confirmed = rate(current.confirmed, previous.confirmed);
  const cancelled = rate(current.cancelled, previous.cancelled);
  return { placed, confirmed, cancelled, pending: Math.round((placed - confirmed - cancelled) * 100) / 100 };
}

function countStatuses(groups: readonly GroupLagView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const group of groups) counts[group.status] = (counts[group.status] ?? 0) + 1;
  return counts;
}

/** The name of the topic an action of the provisioning plan is about. */
function actionTopic(action: TopicAction): string {
  return action.kind === 'create' ? action.topic.name : action.name;
}

/** The catalog (fixed) and the cluster's differences from it, read with the provisioning planner (never applied). */
export class TopicsSource extends Poller {
  readonly #connection: KafkaConnection;
  readonly #namespace: KafkaNamespace;
  #snapshot: TopicsSnapshot | undefined;

  constructor(options: { connection: KafkaConnection; namespace: KafkaNamespace; intervalMs: number }) {
    super(options.intervalMs);
    this.#connection = options.connection;
    this.#namespace = options.namespace;
  }

  get snapshot(): TopicsSnapshot | undefined {
    return this.#snapshot;
  }

  protected async poll(): Promise<void> {
    const catalog = allTopics().map((topic) => ({
      name: this.#namespace.topic(topic.name),
      kind: topic.kind,
      owner: topic.owner,
      consumers: topic.consumers.map((consumer) => consumer.groupId),
      partitions: topic.partitions,
      retentionMs: topic.retentionMs,
      rationale: topic.rationale,
    }));
    let cluster: TopicsSnapshot['cluster'];
    try {
      const plan = await provisionTopics({ connection: this.#connection, namespace: this.#namespace, apply: false });
      const drift: Record<string, string[]> = {};
      for (const action of plan.actions) {
        const name = actionTopic(action);
        drift[name] = [...(drift[name] ?? []), describeAction(action)];
      }
      cluster = { ok: true, value: { brokerCount: plan.brokerCount, drift, warnings: plan.warnings } };
    } catch (error) {
      cluster = {
        ok: false,
        error: {
          code: 'CON_KAFKA_UNAVAILABLE' satisfies ConsoleErrorCode,
          message: `The cluster's topics could not be read: ${(error as Error).message}`,
        },
      };
    }
    this.#snapshot = { catalog, cluster };
  }
}
