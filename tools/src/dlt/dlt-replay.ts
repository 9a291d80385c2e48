import { FAILURE_HEADERS } from '@shop/contracts';
import type { KafkaNamespace } from '@shop/platform';
import { coordinatesOf, type DeadLetter, identityOf, replayCountOf } from './dead-letter.ts';
import { type ResolvedTarget, resolveTarget, type TargetSpec } from './replay-target.ts';

/**
 * Replays after which a record is parked: a record already replayed this many times is not replayed again
 * without `--force`. Three fixes that did not fix it mean a human must look at the record itself.
 */
export const DEFAULT_MAX_REPLAYS = 3;
/** Records published per second by default: gentle on a consumer that has just been fixed. */
export const DEFAULT_REPLAY_RATE_PER_SECOND = 50;
/** Upper bound of `--rate`: above it, a replay competes with live traffic for the consumer. */
export const MAX_REPLAY_RATE_PER_SECOND = 10_000;

/** What the replay does with one matched dead letter. */
export type ReplayDecision =
  | {
      readonly action: 'replay';
      readonly record: DeadLetter;
      readonly target: ResolvedTarget;
      /** The replay count the published copy carries (prior replays + 1). */
      readonly replayCount: number;
      /** Replayed although parked, because of `--force`. */
      readonly forced: boolean;
    }
  | { readonly action: 'parked'; readonly record: DeadLetter; readonly replayCount: number }
  | { readonly action: 'skipped'; readonly record: DeadLetter; readonly reason: string };

/** Key of a record's replay history: its dead-letter topic and identity (event id, or coordinates). */
export function historyKey(record: Pick<DeadLetter, 'topic' | 'headers' | 'partition' | 'offset'>): string {
  return `${record.topic}|${identityOf(record)}`;
}

export interface PlanInput {
  /** The records that matched the filters, in read order. */
  readonly matched: readonly DeadLetter[];
  /**
   * For every record read (matched or not), the coordinates of the latest copy per history key: an older copy
   * of an event that was dead-lettered again later is superseded by the newer one, which carries its history.
   */
  readonly latest: ReadonlyMap<string, DeadLetter>;
  /** Replays recorded in the audit, per history key. */
  readonly audited: ReadonlyMap<string, number>;
  readonly target: TargetSpec;
  readonly namespace: KafkaNamespace;
  /** Default: DEFAULT_MAX_REPLAYS. */
  readonly maxReplays?: number;
  /** Replay parked records too. Default: false. */
  readonly force?: boolean;
}

/**
 * Decides, without side effects, what happens to each matched record. The prior replay count is the larger
 * of the record's own `replay-count` header and the audit's count: the header survives when the audit is
 * elsewhere, the audit sees a replay of this very copy that did not come back (yet).
 */
export function planReplay(input: PlanInput): ReplayDecision[] {
  const maxReplays = input.maxReplays ?? DEFAULT_MAX_REPLAYS;
  return input.matched.map((record): ReplayDecision => {
    const key = historyKey(record);
    const latest = input.latest.get(key);
    if (latest !== undefined && latest.offset !== record.offset) {
      return { action: 'skipped', record, reason: `superseded by ${coordinatesOf(latest)}` };
    }
    const prior = Math.max(replayCountOf(record), input.audited.get(key) ?? 0);
    if (prior >= maxReplays && input.force !== true) return { action: 'parked', record, replayCount: prior };
    const target = resolveTarget(input.target, record, input.namespace);
    if ('unresolved' in target) return { action: 'skipped', record, reason: target.unresolved };
    return { action: 'replay', record, target, replayCount: prior + 1, forced: prior >= maxReplays };
  });
}

export interface ReplayStamp {
  readonly replayCount: number;
  readonly replayedAt: Date;
  readonly operator: string;
  /** Retry tier of the target (sets the attempt count a record has when it reaches that tier), or none. */
  readonly tier?: number;
}

/**
 * The headers of a replayed copy: every original header unchanged (event id included, so consumers stay
 * idempotent through their inbox; the failure origin too, so a second failure still points at the first),
 * plus the replay stamp. `retry-not-before` is dropped (a replay is due at once), and the attempt count is
 * reset to what a record has when it first reaches the target: the tier number in a retry tier (the router
 * then sends a transient failure on to the next tier, as for any record there), none on a source topic. So a
 * replayed record gets its retry tiers again before it returns to the dead-letter topic.
 */
export function replayHeaders(headers: ReadonlyMap<string, Buffer>, stamp: ReplayStamp): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, value] of headers) {
    if (name !== FAILURE_HEADERS.retryNotBefore && name !== FAILURE_HEADERS.attempts) out.set(name, value);
  }
  if (stamp.tier !== undefined) out.set(FAILURE_HEADERS.attempts, Buffer.from(String(stamp.tier)));
  out.set(FAILURE_HEADERS.replayCount, Buffer.from(String(stamp.replayCount)));
  out.set(FAILURE_HEADERS.replayedAt, Buffer.from(stamp.replayedAt.toISOString()));
  out.set(FAILURE_HEADERS.replayedBy, Buffer.from(stamp.operator));
  return out;
}

/** When the `index`-th record (from 0) of a run paced at `ratePerSecond` may be sent. */
export function dueTime(startedAt: number, index: number, ratePerSecond: number): number {
  return startedAt + Math.floor((index * 1_000) / ratePerSecond);
}

/** One audited replay. */
export interface AuditEntry {
  readonly runId: string;
  readonly replayedAt: Date;
  readonly operator: string;
  readonly record: DeadLetter;
  readonly historyKey: string;
  readonly targetTopic: string;
  readonly replayCount: number;
  readonly forced: boolean;
}

/** The part of the audit the executor needs. */
export interface ReplayAuditPort {
  /**
   * Records the replay and runs `publish`; the audit row commits only after `publish` resolved, so no row
   * claims a replay the broker did not acknowledge.
   */
  recordReplay(entry: AuditEntry, publish: () => Promise<void>): Promise<void>;
}

/** The part of a Kafka producer the executor needs. */
export interface ReplayProducerPort {
  send(request: {
    messages: { topic: string; key?: string; value?: Buffer; headers: Map<string, Buffer> }[];
  }): Promise<unknown>;
}

export interface ExecuteOptions {
  readonly decisions: readonly ReplayDecision[];
  readonly producer: ReplayProducerPort;
  readonly audit: ReplayAuditPort;
  readonly runId: string;
  readonly operator: string;
  /** Default: DEFAULT_REPLAY_RATE_PER_SECOND. */
  readonly ratePerSecond?: number;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** Called after each published record. */
  readonly onReplayed?: (decision: Extract<ReplayDecision, { action: 'replay' }>) => void;
}

export interface ExecuteResult {
  readonly replayed: number;
  /** The first failure; the run stops there (the records after it are not attempted). */
  readonly failure?: { readonly decision: ReplayDecision; readonly error: unknown };
}

/**
 * Publishes the `replay` decisions one at a time, paced, each with its audit row. Stops at the first failure:
 * a broker or database that fails one record fails the next, and the audit shows exactly what went out.
 */
export async function executeReplay(options: ExecuteOptions): Promise<ExecuteResult> {
  const now = options.now ?? Date.now;
  const rate = options.ratePerSecond ?? DEFAULT_REPLAY_RATE_PER_SECOND;
  const startedAt = now();
  let replayed = 0;
  for (const decision of options.decisions) {
    if (decision.action !== 'replay') continue;
    const wait = dueTime(startedAt, replayed, rate) - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const replayedAt = new Date(now());
    const { record, target } = decision;
    const headers = replayHeaders(record.headers, {
      replayCount: decision.replayCount,
      replayedAt,
      operator: options.operator,
      ...(target.tier === undefined ? {} : { tier: target.tier }),
    });
    try {
      await options.audit.recordReplay(
        {
          runId: options.runId,
          replayedAt,
          operator: options.operator,
          record,
          historyKey: historyKey(record),
          targetTopic: target.topic,
          replayCount: decision.replayCount,
          forced: decision.forced,
        },
        async () => {
          await options.producer.send({
            messages: [
              {
                topic: target.topic,
                ...(record.key === undefined ? {} : { key: record.key }),
                ...(record.value === undefined ? {} : { value: record.value }),
                headers,
              },
            ],
          });
        },
      );
    } catch (error) {
      return { replayed, failure: { decision, error } };
    }
    replayed++;
    options.onReplayed?.(decision);
  }
  return { replayed };
}
