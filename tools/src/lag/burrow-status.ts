/**
 * Consumer-group status from a sliding window of lag samples, in the manner of Burrow
 * (https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules). Pure: no Kafka, no clock.
 *
 * Per partition, over the samples of the window (oldest first):
 * - ERR   the latest sample could not read the group's offsets.
 * - OK    the latest lag is 0 (a caught-up consumer is fine whatever the history).
 * - UNKNOWN fewer than `minSamples` samples with a committed offset: too little history to judge.
 * - STOP  the committed offset has not moved for at least `stopAfterMs` (tracked across evictions from
 *         the window), or it did not move over the window and the group has no members: nobody consumes.
 * - STALL the committed offset did not move over the window while lag > 0 and members are present:
 *         a consumer is there but stuck (a poison loop, a blocked handler).
 * - WARN  the committed offset moves, but lag never decreased between two samples and grew overall:
 *         the consumer works, slower than the producers.
 * - OK    otherwise.
 * The group's status is the worst status of its partitions (order of `STATUS_SEVERITY`).
 */

export type LagStatus = 'OK' | 'UNKNOWN' | 'WARN' | 'STALL' | 'STOP' | 'ERR';

/** Worst last: the group takes the highest severity of its partitions. */
export const STATUS_SEVERITY: readonly LagStatus[] = ['OK', 'UNKNOWN', 'WARN', 'STALL', 'STOP', 'ERR'];

/** Default number of samples a window holds (Burrow's default `intervals` is 10). */
export const DEFAULT_WINDOW_SAMPLES = 10;
/** Default fewest samples (with a committed offset) before WARN/STALL/STOP can be judged. */
export const DEFAULT_MIN_SAMPLES = 3;
/** Default time without any commit progress (while lag > 0) after which a partition is STOP. */
export const DEFAULT_STOP_AFTER_MS = 60_000;

export interface StatusOptions {
  /** Samples kept per group; older ones are evicted. Default DEFAULT_WINDOW_SAMPLES. */
  windowSamples?: number;
  /** Fewest samples to judge a lagging partition; fewer gives UNKNOWN. Default DEFAULT_MIN_SAMPLES. */
  minSamples?: number;
  /** Committed offset unchanged this long with lag > 0 gives STOP. Default DEFAULT_STOP_AFTER_MS. */
  stopAfterMs?: number;
}

/** One partition in one sample; `committedOffset`/`lag` undefined when the group never committed it. */
export interface PartitionPoint {
  committedOffset: bigint | undefined;
  lag: bigint | undefined;
}

/** One reading of a group. `error` set means its offsets could not be read (then `partitions` is empty). */
export interface GroupSample {
  /** Time of the reading, ms since epoch. */
  at: number;
  /** Active members, when known; 0 means nobody consumes. */
  members: number | undefined;
  /** Keyed `topic/partition`. */
  partitions: ReadonlyMap<string, PartitionPoint>;
  error?: string;
}

export interface PartitionStatus {
  key: string;
  status: LagStatus;
  /** Why, in words an operator can act on. */
  reason: string;
}

export interface GroupStatus {
  status: LagStatus;
  partitions: PartitionStatus[];
}

export function worstStatus(statuses: Iterable<LagStatus>): LagStatus {
  let worst = 0;
  for (const status of statuses) worst = Math.max(worst, STATUS_SEVERITY.indexOf(status));
  return STATUS_SEVERITY[worst] ?? 'OK';
}

/**
 * Evaluates one partition. `committedSince` is when its committed offset was first seen at its current
 * value (ms since epoch); `now` is the evaluation time.
 */
export function partitionStatus(
  key: string,
  points: readonly PartitionPoint[],
  members: number | undefined,
  committedSince: number,
  now: number,
  options: StatusOptions = {},
): PartitionStatus {
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  const stopAfterMs = options.stopAfterMs ?? DEFAULT_STOP_AFTER_MS;
  const known = points.filter(
    (point): point is { committedOffset: bigint; lag: bigint } =>
      point.committedOffset !== undefined && point.lag !== undefined,
  );
  const last = known.at(-1);
  if (last === undefined) return { key, status: 'UNKNOWN', reason: 'no committed offset' };
  if (last.lag === 0n) return { key, status: 'OK', reason: 'caught up' };
  if (now - committedSince >= stopAfterMs) {
    return { key, status: 'STOP', reason: `no commit for ${Math.round((now - committedSince) / 1000)} s with lag` };
  }
  if (known.length < minSamples) {
    return { key, status: 'UNKNOWN', reason: `${known.length} of ${minSamples} samples needed` };
  }
  const first = known[0] as { committedOffset: bigint; lag: bigint };
  if (first.committedOffset === last.committedOffset) {
    return members === 0
      ? { key, status: 'STOP', reason: 'no members and no commit over the window' }
      : { key, status: 'STALL', reason: 'committed offset not moving while lagging' };
  }
  let neverDecreased = true;
  for (let i = 1; i < known.length; i++) {
    if ((known[i] as { lag: bigint }).lag < (known[i - 1] as { lag: bigint }).lag) neverDecreased = false;
  }
  if (neverDecreased && last.lag > first.lag) return { key, status: 'WARN', reason: 'lag growing over the window' };
  return { key, status: 'OK', reason: 'consuming' };
}

/**
 * The sliding window of one group: add a sample per poll, then ask for the status. Keeps, per partition,
 * when its committed offset last changed, beyond the window's own samples, for the STOP rule.
 */
export class StatusWindow {
  readonly #options: StatusOptions;
  readonly #samples: GroupSample[] = [];
  readonly #committedSince = new Map<string, { offset: bigint | undefined; since: number }>();

  constructor(options: StatusOptions = {}) {
    this.#options = options;
  }

  add(sample: GroupSample): void {
    this.#samples.push(sample);
    const limit = this.#options.windowSamples ?? DEFAULT_WINDOW_SAMPLES;
    while (this.#samples.length > limit) this.#samples.shift();
    for (const [key, point] of sample.partitions) {
      const seen = this.#committedSince.get(key);
      if (seen === undefined || seen.offset !== point.committedOffset) {
        this.#committedSince.set(key, { offset: point.committedOffset, since: sample.at });
      }
    }
  }

  get samples(): readonly GroupSample[] {
    return this.#samples;
  }

  /** The status as of the latest sample. */
  status(): GroupStatus {
    const latest = this.#samples.at(-1);
    if (latest === undefined) return { status: 'UNKNOWN', partitions: [] };
    if (latest.error !== undefined) return { status: 'ERR', partitions: [] };
    // A partition the group never committed has no lag to judge (kafka-consumer-groups prints '-').
    const committed = [...latest.partitions].filter(([, point]) => point.committedOffset !== undefined);
    const partitions = committed.map(([key]) =>
      partitionStatus(
        key,
        this.#samples.flatMap((sample) => {
          const point = sample.partitions.get(key);
          return point === undefined ? [] : [point];
        }),
        latest.members,
        this.#committedSince.get(key)?.since ?? latest.at,
        latest.at,
        this.#options,
      ),
    );
    if (partitions.length === 0) return { status: 'UNKNOWN', partitions };
    return { status: worstStatus(partitions.map((partition) => partition.status)), partitions };
  }
}
