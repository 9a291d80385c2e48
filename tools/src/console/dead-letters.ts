/**
 * The console's dead-letter actions, on the dlt tools' own commands (the same reader, filters, replay plan,
 * rate and audit as `npm run dlt`): list with filters, and replay a selection, always as a dry run first.
 */
import { isAppError, type KafkaConnection, type KafkaNamespace } from '@shop/platform';
import { coordinatesOf } from '../dlt/dead-letter.ts';
import { DEFAULT_AUDIT_DATABASE, ReplayAudit } from '../dlt/dlt-audit.ts';
import { type DltContext, dltCountByConsumer, dltList, dltReplay } from '../dlt/dlt-commands.ts';
import type { DltFilterOptions } from '../dlt/dlt-filter.ts';
import { toDetail } from '../dlt/dlt-format.ts';
import type {
  ConsoleError,
  DeadLetterFilter,
  DeadLetterList,
  ReplayHistory,
  ReplayResult,
  ReplayRunView,
} from './contracts.ts';
import type { ConsoleErrorCode } from './errors.ts';

/** Dead letters one listing shows (the oldest first, as `dlt list`). */
export const DEAD_LETTER_LIST_LIMIT = 200;
/** Replay runs the dead-letter page lists (the newest). */
export const REPLAY_HISTORY_LIMIT = 20;
/** Who the audit names as the replaying operator until the console knows who is signed in. */
export const CONSOLE_OPERATOR = 'console';

export interface DeadLetterOptions {
  connection: KafkaConnection;
  namespace: KafkaNamespace;
  /** PostgreSQL server URL of the replay audit (the tools' own database, never a service's). */
  databaseUrl: string;
  auditDatabase?: string;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: ConsoleError };

function context(options: DeadLetterOptions): DltContext {
  return {
    connection: options.connection,
    namespace: options.namespace,
    databaseUrl: options.databaseUrl,
    ...(options.auditDatabase === undefined ? {} : { auditDatabase: options.auditDatabase }),
    // The commands print for a terminal; the console returns their results instead.
    out: () => {},
    err: () => {},
  };
}

function filterOptions(filter: DeadLetterFilter): DltFilterOptions {
  const options: DltFilterOptions = {};
  for (const name of ['consumer', 'code', 'since', 'orderId', 'eventId'] as const) {
    const value = filter[name]?.trim();
    if (value !== undefined && value !== '') options[name] = value;
  }
  return options;
}

async function outcome<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (isAppError(error)) return { ok: false, error: { code: error.code, message: error.message } };
    return {
      ok: false,
      error: { code: 'CON_KAFKA_UNAVAILABLE', message: `Dead letters could not be read: ${(error as Error).message}` },
    };
  }
}

export function listDeadLetters(
  options: DeadLetterOptions,
  filter: DeadLetterFilter,
): Promise<Outcome<DeadLetterList>> {
  return outcome(async () => {
    const { records, matchedTotal } = await dltList(context(options), {
      ...filterOptions(filter),
      limit: DEAD_LETTER_LIST_LIMIT,
    });
    return {
      matchedTotal,
      records: records.map((record) => {
        const detail = toDetail(record);
        const value = typeof detail.value === 'string' ? detail.value : (JSON.stringify(detail.value, null, 2) ?? '');
        return { ...detail, id: coordinatesOf(record), value };
      }),
    };
  });
}

/** Dead letters per consumer whose record timestamp is within `since` (relative, `1h`, or ISO 8601). */
export function countDeadLetters(options: DeadLetterOptions, since: string): Promise<Outcome<Record<string, number>>> {
  return outcome(async () => Object.fromEntries(await dltCountByConsumer(context(options), { since })));
}

export function replayDeadLetters(
  options: DeadLetterOptions,
  request: { filter: DeadLetterFilter; dryRun: boolean; rate?: number },
): Promise<Outcome<ReplayResult>> {
  return outcome(async () => {
    const summary = await dltReplay(context(options), {
      ...filterOptions(request.filter),
      operator: CONSOLE_OPERATOR,
      dryRun: request.dryRun,
      ...(request.rate === undefined ? {} : { rate: request.rate }),
    });
    return {
      dryRun: summary.dryRun,
      ...(summary.runId === undefined ? {} : { runId: summary.runId }),
      matched: summary.matched,
      replayed: summary.replayed,
      parked: summary.parked,
      skipped: summary.skipped,
      failed: summary.failed,
      ...(summary.error === undefined ? {} : { error: summary.error }),
      decisions: summary.decisions.map((decision) => ({
        action: decision.action,
        record: coordinatesOf(decision.record),
        key: decision.record.key ?? null,
        ...(decision.action === 'replay'
          ? { target: decision.target.topic, alsoDeliveredTo: [...decision.target.alsoDeliveredTo] }
          : {}),
        ...(decision.action === 'skipped' ? { reason: decision.reason } : {}),
      })),
    };
  });
}

/**
 * The replay audit's runs, read on one connection pool kept open while the console runs: the history is read
 * every poll, and opening the audit creates and migrates its database. A failed open is retried on the next read.
 */
export class ReplayHistoryReader {
  readonly #options: DeadLetterOptions;
  #audit: Promise<ReplayAudit> | undefined;

  constructor(options: DeadLetterOptions) {
    this.#options = options;
  }

  async read(limit = REPLAY_HISTORY_LIMIT): Promise<ReplayHistory> {
    try {
      this.#audit ??= ReplayAudit.open(
        this.#options.databaseUrl,
        this.#options.auditDatabase ?? DEFAULT_AUDIT_DATABASE,
      );
      const audit = await this.#audit;
      const runs = await audit.recentRuns(this.#options.namespace.prefix, limit);
      return {
        runs: {
          ok: true,
          value: runs.map(
            (run): ReplayRunView => ({
              runId: run.runId,
              operator: run.operator,
              startedAt: run.startedAt.toISOString(),
              finishedAt: run.finishedAt === null ? null : run.finishedAt.toISOString(),
              filters: run.filters,
              target: run.target,
              ratePerSecond: run.ratePerSecond,
              forced: run.forced,
              summary: run.summary,
            }),
          ),
        },
      };
    } catch (error) {
      const failed = this.#audit;
      this.#audit = undefined;
      void failed?.then((audit) => audit.close()).catch(() => {});
      return {
        runs: {
          ok: false,
          error: {
            code: 'CON_AUDIT_UNAVAILABLE' satisfies ConsoleErrorCode,
            message: `The replay audit could not be read: ${(error as Error).message}`,
          },
        },
      };
    }
  }

  async close(): Promise<void> {
    const audit = this.#audit;
    this.#audit = undefined;
    await audit?.then((opened) => opened.close()).catch(() => {});
  }
}
