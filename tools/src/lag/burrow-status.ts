/**
 * Consumer-group status from a sliding window of lag samples, in the manner of Burrow
 * (https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules). Pure: no Kafka, no clock.
 *
 * Burrow judges a window of offset *commits*; we sample on a timer, so a partition's record lag is a saw
 * tooth (it grows between two commits of a batch and drops at the commit). Two adaptations follow:
 * the lag trend is judged on the window's *commit points* (the first sample that saw each committed
 * offset: the lag right after a commit), and "stuck" means lagging at every sample without a new commit.
 *
 * Per partition, with the latest sample last:
 * - ERR     the latest sample could not read the group's offsets.
 * - OK      idle: the group never committed the partition and its log holds no record (log-end offset
 *           equal to the log-start offset, 0 on a topic never written): nothing to consume, nothing late.
 *           A retry tier spends most of its life so.
 * - UNKNOWN the group never committed the partition while records wait in it; left out of the group's
 *           status while other partitions are committed (kafka-consumer-groups prints '-' for it).
 * - OK      the latest lag is 0 (a caught-up consumer is fine whatever the history).
 * - STOP    no progress for at least `stopAfterMs` while lagging. Progress is a new committed offset, or a
 *           sample with lag 0 (a caught-up consumer has nothing to commit). Tracked beyond the window.
 *           The monitor sets `stopAfterMs` to the window's duration: "no commits for longer
 *           than the window" (Burrow's rule 4).
 * - WARN    the group has no members and the partition lags, not yet for `stopAfterMs`: nobody consumes,
 *           and records pile up. A stopped consumer therefore shows WARN first and STOP once the window's
 *           duration has passed without a commit ("WARN then STOP"), rather than STOP at once. Judged
 *           from one sample: no history is needed to see that nobody consumes.
 * - UNKNOWN fewer than `minSamples` samples with a committed offset: too little history to judge.
 * - OK      members are present and the lag was 0 at some sample of the window (Burrow's rule 1): the
 *           consumer keeps up; records that arrived just before the latest sample are neither a stall nor
 *           a trend.
 * - STALL   members are present, yet the partition lagged at every sample of the window with the same
 *           committed offset: a consumer is there but stuck (a poison loop, a blocked handler, a batch
 *           that takes longer than the window).
 * - WARN    the committed offset moved in the window (two commit points or more) and the lag at the
 *           commit points never decreased and grew overall: the consumer works, slower than the producers
 *           (Burrow's rule 3).
 * - OK      otherwise.
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
  /** The log's first and next offsets, when read; equal when the log holds no record. */
  logStartOffset?: bigint;
  logEndOffset?: bigint;
}

/** Never committed, and the log holds no record: nothing to consume (not "unknown"). */
export function isIdle(point: PartitionPoint): boolean {
  return (
    point.committedOffset === undefined &&
    point.logEndOffset !== undefined &&
    point.logStartOffset !== undefined &&
    point.logEndOffset <= point.logStartOffset
  );
}

const IDLE_REASON = 'idle: no committed offset and no record to consume';

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
 * Evaluates one partition. `progressAt` is the time (ms since epoch) of its latest progress: the sample
 * that first saw its current committed offset, or the latest sample in which its lag was 0, whichever is
 * later. `now` is the evaluation time (the latest sample's).
 */
export function partitionStatus(
  key: string,
  points: readonly PartitionPoint[],
  members: number | undefined,
  progressAt: number,
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
  const stuckS = Math.round((now - progressAt) / 1_000);
  if (now - progressAt >= stopAfterMs) {
    return { key, status: 'STOP', reason: `no commit for ${stuckS} s with lag` };
  }
  // No members while records wait needs no history to judge: nobody consumes and the lag can only grow. A
  // partition first committed just before its consumer left must read WARN, not UNKNOWN.
  if (members === 0) {
    return {
      key,
      status: 'WARN',
      reason: `no members, lag ${last.lag}, no commit for ${stuckS} s (STOP at ${Math.round(stopAfterMs / 1_000)} s)`,
    };
  }
  if (known.length < minSamples) {
    return { key, status: 'UNKNOWN', reason: `${known.length} of ${minSamples} samples needed` };
  }
  // Burrow's rule 1: a consumer that was caught up within the window is keeping up; the lag seen since
  // is records that arrived between two polls (a single late record would otherwise read as WARN).
  if (known.some((point) => point.lag === 0n)) return { key, status: 'OK', reason: 'caught up within the window' };
  const stuck = known.every((point) => point.committedOffset === last.committedOffset);
  if (stuck) return { key, status: 'STALL', reason: 'committed offset not moving while lagging' };
  // The lag right after each commit seen in the window. Not the latest lag: between two commits of a batching
  // consumer lag grows even when it keeps up; what tells falling behind is a higher lag after every commit.
  const commitLags: bigint[] = [];
  let previous: bigint | undefined;
  for (const point of known) {
    if (point.committedOffset !== previous) commitLags.push(point.lag);
    previous = point.committedOffset;
  }
  const neverDecreased = commitLags.every((lag, i) => i === 0 || lag >= (commitLags[i - 1] as bigint));
  const firstLag = commitLags[0] as bigint;
  if (commitLags.length >= 2 && neverDecreased && (commitLags.at(-1) as bigint) > firstLag) {
    return { key, status: 'WARN', reason: 'lag growing over the window' };
  }
  return { key, status: 'OK', reason: 'consuming' };
}

/**
 * The sliding window of one group: add a sample per poll, then ask for the status. Keeps, per partition,
 * its latest progress (see `partitionStatus`), beyond the window's own samples, for the STOP rule.
 */
export class StatusWindow {
  readonly #options: StatusOptions;
  readonly #samples: GroupSample[] = [];
  readonly #progress = new Map<string, { offset: bigint | undefined; at: number }>();

  constructor(options: StatusOptions = {}) {
    this.#options = options;
  }

  add(sample: GroupSample): void {
    this.#samples.push(sample);
    const limit = this.#options.windowSamples ?? DEFAULT_WINDOW_SAMPLES;
    while (this.#samples.length > limit) this.#samples.shift();
    for (const [key, point] of sample.partitions) {
      const seen = this.#progress.get(key);
      if (seen === undefined || seen.offset !== point.committedOffset || point.lag === 0n) {
        this.#progress.set(key, { offset: point.committedOffset, at: sample.at });
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
    // A partition the group never committed has no lag to judge (kafka-consumer-groups prints '-'): left out
    // while other partitions are committed, UNKNOWN when none is. Unless its log is empty: nothing to consume
    // is a status (OK, idle), not a lack of one, and it must not hide a partition whose records wait.
    const entries = [...latest.partitions];
    const anyCommitted = entries.some(([, point]) => point.committedOffset !== undefined);
    const partitions: PartitionStatus[] = entries.flatMap(([key, point]): PartitionStatus[] => {
      if (isIdle(point)) return [{ key, status: 'OK', reason: IDLE_REASON }];
      if (point.committedOffset === undefined) {
        return anyCommitted ? [] : [{ key, status: 'UNKNOWN', reason: 'no committed offset' }];
      }
      const points = this.#samples.flatMap((sample) => {
        const earlier = sample.partitions.get(key);
        return earlier === undefined ? [] : [earlier];
      });
      const progressAt = this.#progress.get(key)?.at ?? latest.at;
      return [partitionStatus(key, points, latest.members, progressAt, latest.at, this.#options)];
    });
    if (partitions.length === 0) return { status: 'UNKNOWN', partitions };
    return { status: worstStatus(partitions.map((partition) => partition.status)), partitions };
  }
}
