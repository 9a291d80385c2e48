/**
 * The `dlt` commands as functions: the CLI (dlt-cli.ts) parses options into these, and tests call them
 * directly. Every command reads dead-letter topics by offset (DeadLetterReader): no consumer group is
 * joined or committed, so the live groups' offsets cannot move because of the tool.
 */
import { randomUUID } from 'node:crypto';
import { createProducer, type KafkaConnection, type KafkaNamespace } from '@shop/platform';
import { coordinatesOf, type DeadLetter } from './dead-letter.ts';
import { DEFAULT_AUDIT_DATABASE, ReplayAudit } from './dlt-audit.ts';
import {
  buildFilter,
  type DltFilter,
  type DltFilterOptions,
  deadLetterTopicsOf,
  describeFilter,
  matchesFilter,
} from './dlt-filter.ts';
import { formatDecision, formatFull, formatLine, toDetail, toView } from './dlt-format.ts';
import { DeadLetterReader } from './dlt-reader.ts';
import {
  DEFAULT_MAX_REPLAYS,
  DEFAULT_REPLAY_RATE_PER_SECOND,
  executeReplay,
  historyKey,
  MAX_REPLAY_RATE_PER_SECOND,
  planReplay,
  type ReplayDecision,
} from './dlt-replay.ts';
import { dltError } from './errors.ts';
import { checkTargetFor, parseTarget, TARGET_RETRY, type TargetSpec } from './replay-target.ts';

/** Records `list` prints unless `--limit` says otherwise. */
export const DEFAULT_LIST_LIMIT = 100;

/** Where the commands run: cluster, namespace, audit database, and where they print. */
export interface DltContext {
  connection: KafkaConnection;
  /** Prefix of every topic name (tests and parallel stacks); production uses the empty namespace. */
  namespace: KafkaNamespace;
  /** PostgreSQL server URL without database (DATABASE_URL), for the replay audit. */
  databaseUrl: string;
  /** Database of the replay audit. Default: DEFAULT_AUDIT_DATABASE (`tools`). */
  auditDatabase?: string;
  /** Normal output. Default: process.stdout. */
  out?: (text: string) => void;
  /** Warnings. Default: process.stderr. */
  err?: (text: string) => void;
  /** Clock for relative times and replay stamps. Default: Date.now. */
  now?: () => number;
}

const stdout = (text: string) => void process.stdout.write(text);
const stderr = (text: string) => void process.stderr.write(text);

interface Scan {
  matched: DeadLetter[];
  /** How many matched in all (more than `matched.length` when a limit cut the list). */
  matchedTotal: number;
  /** The latest copy per history key among all records read, matched or not. */
  latest: Map<string, DeadLetter>;
}

/** Reads the filter's dead-letter topics up to their current ends, keeping at most `limit` matches. */
async function scan(context: DltContext, filter: DltFilter, limit = Number.POSITIVE_INFINITY): Promise<Scan> {
  const reader = new DeadLetterReader(context.connection);
  const result: Scan = { matched: [], matchedTotal: 0, latest: new Map() };
  try {
    const topics = deadLetterTopicsOf(filter, context.namespace);
    const options = filter.since === undefined ? {} : { since: filter.since };
    for await (const record of reader.read(topics, options)) {
      result.latest.set(historyKey(record), record);
      if (!matchesFilter(record, filter)) continue;
      result.matchedTotal++;
      if (result.matched.length < limit) result.matched.push(record);
    }
  } finally {
    await reader.close();
  }
  return result;
}

/**
 * How many dead letters match, per consumer (every consumer the filter reads named, 0 when it has none): one
 * scan that keeps only the counts, for a summary such as the console's dead letters of the last hour.
 */
export async function dltCountByConsumer(context: DltContext, options: DltFilterOptions): Promise<Map<string, number>> {
  const filter = buildFilter(options, context.namespace, (context.now ?? Date.now)());
  const counts = new Map<string, number>(filter.consumers.map((consumer) => [consumer, 0]));
  const reader = new DeadLetterReader(context.connection);
  try {
    const since = filter.since === undefined ? {} : { since: filter.since };
    for await (const record of reader.read(deadLetterTopicsOf(filter, context.namespace), since)) {
      if (matchesFilter(record, filter)) counts.set(record.consumerId, (counts.get(record.consumerId) ?? 0) + 1);
    }
  } finally {
    await reader.close();
  }
  return counts;
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw dltError('DLT_INVALID_OPTION', `--limit ${limit}: must be a positive integer`);
  }
  return limit;
}

export interface ListOptions extends DltFilterOptions {
  /** Most records printed (oldest first). Default: DEFAULT_LIST_LIMIT. */
  limit?: number;
  /** Print a JSON array of records instead of lines. Default: false. */
  json?: boolean;
}

export interface ListResult {
  records: DeadLetter[];
  matchedTotal: number;
}

/** `dlt list`: the dead letters matching the filters, oldest first, one line each. */
export async function dltList(context: DltContext, options: ListOptions = {}): Promise<ListResult> {
  const out = context.out ?? stdout;
  const limit = checkLimit(options.limit) ?? DEFAULT_LIST_LIMIT;
  const filter = buildFilter(options, context.namespace, (context.now ?? Date.now)());
  const { matched, matchedTotal } = await scan(context, filter, limit);
  if (options.json) {
    out(`${JSON.stringify(matched.map(toView), null, 2)}\n`);
  } else {
    for (const record of matched) out(`${formatLine(record)}\n`);
    out(
      matchedTotal > matched.length
        ? `${matched.length} of ${matchedTotal} matching dead letters shown (--limit ${limit})\n`
        : `${matchedTotal} matching dead letter${matchedTotal === 1 ? '' : 's'}\n`,
    );
  }
  return { records: matched, matchedTotal };
}

export interface ShowOptions extends DltFilterOptions {
  /** Print a JSON array of the records in full. Default: false. */
  json?: boolean;
}

/**
 * `dlt show`: one dead letter in full (every header, the value pretty-printed), chosen by `--offset` (with
 * `--consumer`; `--partition` is optional as dead-letter topics have one) or `--event-id`. Every record that
 * matches is printed, oldest first: an event dead-lettered again after a replay shows each of its copies.
 */
export async function dltShow(context: DltContext, options: ShowOptions): Promise<DeadLetter[]> {
  const out = context.out ?? stdout;
  if (options.offset === undefined && options.eventId === undefined) {
    throw dltError('DLT_INVALID_OPTION', 'show needs --offset (and --partition) or --event-id', {
      hint: 'Find them with `dlt list`.',
    });
  }
  const filter = buildFilter(options, context.namespace, (context.now ?? Date.now)());
  const { matched } = await scan(context, filter);
  if (matched.length === 0) {
    throw dltError('DLT_RECORD_NOT_FOUND', `no dead letter matches ${describeFilter(filter)}`);
  }
  if (options.json) out(`${JSON.stringify(matched.map(toDetail), null, 2)}\n`);
  else out(`${matched.map(formatFull).join('\n\n')}\n`);
  return matched;
}

export interface ReplayOptions extends DltFilterOptions {
  /** Who replays (audit and `replayed-by`). Required; the CLI defaults it to $USER. */
  operator: string;
  /** Print what would be replayed; publish and record nothing. Default: false. */
  dryRun?: boolean;
  /** Records per second. Default: DEFAULT_REPLAY_RATE_PER_SECOND. */
  rate?: number;
  /** `retry` (default: the failing consumer's first retry tier), `source`, or a catalog topic id or name. */
  to?: string;
  /** Replays after which a record is parked. Default: DEFAULT_MAX_REPLAYS. */
  maxReplays?: number;
  /** Replay parked records too. Default: false. */
  force?: boolean;
  /** Most records replayed in this run (oldest first). Default: all that match. */
  limit?: number;
  /** Print the summary as JSON. Default: false. */
  json?: boolean;
}

export interface ReplaySummary {
  /** Audit run id; absent on a dry run. */
  runId?: string;
  dryRun: boolean;
  target: string;
  matched: number;
  replayed: number;
  parked: number;
  skipped: number;
  /** 1 when the run stopped on an error (the records after it were not attempted), else 0. */
  failed: number;
  /** The error that stopped the run. */
  error?: string;
  decisions: ReplayDecision[];
}

function checkReplayOptions(options: ReplayOptions): void {
  if (options.operator.trim() === '') {
    throw dltError('DLT_INVALID_OPTION', 'no operator name', { hint: 'Pass --operator <name> (default: $USER).' });
  }
  const rate = options.rate;
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0 || rate > MAX_REPLAY_RATE_PER_SECOND)) {
    throw dltError('DLT_INVALID_OPTION', `--rate ${rate}: must be above 0 and at most ${MAX_REPLAY_RATE_PER_SECOND}`);
  }
  const max = options.maxReplays;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw dltError('DLT_INVALID_OPTION', `--max-replays ${max}: must be a positive integer`);
  }
  checkLimit(options.limit);
}

function warnAboutBroadcast(spec: TargetSpec, decisions: readonly ReplayDecision[], err: (text: string) => void): void {
  if (spec.kind === 'retry' || (spec.kind === 'topic' && spec.definition.kind === 'retry')) return;
  const topics = new Set<string>();
  const groups = new Set<string>();
  for (const decision of decisions) {
    if (decision.action !== 'replay') continue;
    topics.add(decision.target.topic);
    for (const group of decision.target.alsoDeliveredTo) groups.add(group);
  }
  err(
    [
      '',
      '!!! WARNING: replaying into a SOURCE topic, not the failing consumer’s retry tier.',
      `!!! Topics: ${[...topics].join(', ') || '(none)'}`,
      `!!! Every consumer group reading them receives the records again${groups.size > 0 ? `, including ${[...groups].join(', ')}` : ''}.`,
      '!!! They skip event ids already handled (inbox), but the records now come after later events of the same orders.',
      '!!! Prefer the default (--to retry) unless every reader must see the record again.',
      '',
    ].join('\n'),
  );
}

/**
 * `dlt replay`: republishes the matching dead letters (key, value and headers unchanged, plus the replay
 * stamp) to the failing consumer's first retry tier by default, each with an audit row. Parked records
 * (replayed `maxReplays` times already) are left alone unless `force`; an older copy of an event that came
 * back to the dead-letter topic later is skipped in favour of the newer one. Never touches a consumer group.
 */
export async function dltReplay(context: DltContext, options: ReplayOptions): Promise<ReplaySummary> {
  const out = context.out ?? stdout;
  const err = context.err ?? stderr;
  const now = context.now ?? Date.now;
  checkReplayOptions(options);
  const filter = buildFilter(options, context.namespace, now());
  const spec = parseTarget(options.to, context.namespace);
  checkTargetFor(spec, filter.consumers);
  const maxReplays = options.maxReplays ?? DEFAULT_MAX_REPLAYS;
  const { matched, latest } = await scan(context, filter, options.limit);

  const audit = await ReplayAudit.open(context.databaseUrl, context.auditDatabase ?? DEFAULT_AUDIT_DATABASE);
  try {
    const audited = await audit.replayCounts(matched.map(historyKey));
    const decisions = planReplay({
      matched,
      latest,
      audited,
      target: spec,
      namespace: context.namespace,
      maxReplays,
      force: options.force === true,
    });
    warnAboutBroadcast(spec, decisions, err);
    const count = (action: ReplayDecision['action']) => decisions.filter((d) => d.action === action).length;
    const summary: ReplaySummary = {
      dryRun: options.dryRun === true,
      target: options.to ?? TARGET_RETRY,
      matched: matched.length,
      replayed: 0,
      parked: count('parked'),
      skipped: count('skipped'),
      failed: 0,
      decisions,
    };
    const print = (decision: ReplayDecision) => {
      if (!options.json) out(`${formatDecision(decision, summary.dryRun)}\n`);
    };

    if (summary.dryRun) {
      for (const decision of decisions) print(decision);
    } else {
      for (const decision of decisions) if (decision.action !== 'replay') print(decision);
      const runId = randomUUID();
      summary.runId = runId;
      await audit.startRun({
        runId,
        operator: options.operator,
        namespace: context.namespace.prefix,
        filters: describeFilter(filter),
        target: summary.target,
        maxReplays,
        forced: options.force === true,
        ratePerSecond: options.rate ?? DEFAULT_REPLAY_RATE_PER_SECOND,
      });
      const producer = createProducer(context.connection);
      try {
        const result = await executeReplay({
          decisions,
          producer,
          audit,
          runId,
          operator: options.operator,
          ratePerSecond: options.rate ?? DEFAULT_REPLAY_RATE_PER_SECOND,
          now,
          onReplayed: print,
        });
        summary.replayed = result.replayed;
        if (result.failure !== undefined) {
          summary.failed = 1;
          const cause = result.failure.error;
          summary.error = `${coordinatesOf(result.failure.decision.record)}: ${cause instanceof Error ? cause.message : String(cause)}`;
        }
      } finally {
        await producer.close();
      }
      await audit.finishRun(runId, summary);
    }
    printSummary(summary, options.json === true, out);
    if (summary.error !== undefined) err(`error: replay stopped at ${summary.error}\n`);
    return summary;
  } finally {
    await audit.close();
  }
}

function printSummary(summary: ReplaySummary, json: boolean, out: (text: string) => void): void {
  if (json) {
    const { decisions, ...totals } = summary;
    const records = decisions.map((decision) => ({
      action: decision.action,
      record: coordinatesOf(decision.record),
      key: decision.record.key ?? null,
      ...(decision.action === 'replay'
        ? { target: decision.target.topic, replayCount: decision.replayCount, forced: decision.forced }
        : decision.action === 'parked'
          ? { replayCount: decision.replayCount }
          : { reason: decision.reason }),
    }));
    out(`${JSON.stringify({ ...totals, records }, null, 2)}\n`);
    return;
  }
  const verb = summary.dryRun ? 'would replay' : 'replayed';
  out(
    `${summary.dryRun ? 'DRY RUN (nothing published): ' : ''}matched ${summary.matched}, ${verb} ${
      summary.dryRun ? summary.decisions.filter((d) => d.action === 'replay').length : summary.replayed
    }, parked ${summary.parked}, skipped ${summary.skipped}, failed ${summary.failed}` +
      `${summary.runId === undefined ? '' : ` (audit run ${summary.runId})`}\n`,
  );
}
