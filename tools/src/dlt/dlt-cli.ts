/**
 * The `dlt` command group of the operator CLI (tools/src/cli.ts):
 *
 *   dlt list    [filters] [--limit n] [--json]
 *   dlt show    (--offset n [--partition p] | --event-id id) [filters] [--json]
 *   dlt replay  [filters] [--dry-run] [--rate n] [--to retry|source|<topic>] [--operator name]
 *               [--max-replays n] [--force] [--limit n] [--json]
 *
 * Filters: --consumer, --source, --code, --since, --until, --key, --order-id, --event-id, --partition, --offset.
 * Environment: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL (audit), KAFKA_NAMESPACE (default for --namespace),
 * DLT_AUDIT_DATABASE (default `tools`), USER (default for --operator, else the OS account name). Read once here, at start-up.
 */
import { userInfo } from 'node:os';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { CommonEnvSchema, kafkaConnectionFromEnv, kafkaNamespace, loadEnv, NAMESPACE_PATTERN } from '@shop/platform';
import { Command } from 'commander';
import Type from 'typebox';
import { DEFAULT_AUDIT_DATABASE } from './dlt-audit.ts';
import { type DltContext, dltList, dltReplay, dltShow } from './dlt-commands.ts';
import type { DltFilterOptions } from './dlt-filter.ts';
import { DEFAULT_MAX_REPLAYS, DEFAULT_REPLAY_RATE_PER_SECOND } from './dlt-replay.ts';
import { dltError } from './errors.ts';

const DltEnvSchema = Type.Object({
  ...CommonEnvSchema.properties,
  /** Topic and group prefix; empty in production. */
  KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
  /** Database of the replay audit on the DATABASE_URL server. */
  DLT_AUDIT_DATABASE: Type.String({ default: DEFAULT_AUDIT_DATABASE, pattern: '^[a-z][a-z0-9_]{0,62}$' }),
  /** Default operator name. */
  USER: Type.String({ default: '' }),
});

/** Client id the CLI shows in broker logs. */
const CLI_CLIENT_ID = 'shop-cli-dlt';

interface RawFilterOptions {
  consumer?: string;
  source?: string;
  code?: string;
  since?: string;
  until?: string;
  key?: string;
  orderId?: string;
  eventId?: string;
  partition?: string;
  offset?: string;
  namespace?: string;
}

function nonNegativeInteger(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw dltError('DLT_INVALID_OPTION', `${name} ${text}: must be a non-negative integer`);
  }
  return value;
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw dltError('DLT_INVALID_OPTION', `${name} ${text}: must be above 0`);
  return value;
}

function filterOptions(raw: RawFilterOptions): DltFilterOptions {
  const options: DltFilterOptions = {};
  if (raw.consumer !== undefined) options.consumer = raw.consumer;
  if (raw.source !== undefined) options.source = raw.source;
  if (raw.code !== undefined) options.code = raw.code;
  if (raw.since !== undefined) options.since = raw.since;
  if (raw.until !== undefined) options.until = raw.until;
  if (raw.key !== undefined) options.key = raw.key;
  if (raw.orderId !== undefined) options.orderId = raw.orderId;
  if (raw.eventId !== undefined) options.eventId = raw.eventId;
  if (raw.partition !== undefined) options.partition = nonNegativeInteger('--partition', raw.partition);
  if (raw.offset !== undefined) options.offset = BigInt(nonNegativeInteger('--offset', raw.offset));
  return options;
}

function context(raw: RawFilterOptions): { context: DltContext; user: string } {
  const env = loadEnv(DltEnvSchema);
  const prefix = raw.namespace ?? env.KAFKA_NAMESPACE;
  if (!new RegExp(NAMESPACE_PATTERN).test(prefix)) {
    throw dltError('DLT_INVALID_OPTION', `--namespace ${prefix}: must match ${NAMESPACE_PATTERN}`);
  }
  return {
    context: {
      connection: kafkaConnectionFromEnv(process.env, {
        clientId: CLI_CLIENT_ID,
        principal: TOOL_PRINCIPALS.dltReplayer,
      }),
      namespace: kafkaNamespace(prefix),
      databaseUrl: env.DATABASE_URL,
      auditDatabase: env.DLT_AUDIT_DATABASE,
    },
    // $USER is missing under cron and some containers; the OS account name is the next best witness.
    user: env.USER !== '' ? env.USER : osUserName(),
  };
}

function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for the uid (some containers): the operator must name themselves with --operator.
    return '';
  }
}

function withFilters(command: Command): Command {
  return command
    .option('--namespace <prefix>', 'topic and group prefix (default: $KAFKA_NAMESPACE, empty in production)')
    .option('--consumer <id>', 'consumer id (reserveStock) or group id; default: every consumer')
    .option('--source <topic>', 'source topic id or name the record was first consumed from')
    .option('--code <codes>', 'error code(s), comma-separated')
    .option('--since <time>', 'dead-lettered at or after: ISO 8601 or relative (90s, 30m, 2h, 7d)')
    .option('--until <time>', 'dead-lettered before: ISO 8601 or relative')
    .option('--key <key>', 'record key')
    .option('--order-id <id>', 'order id (the key, or the payload orderId)')
    .option('--event-id <id>', 'event id (event-id header)')
    .option('--partition <n>', 'dead-letter topic partition')
    .option('--offset <n>', 'dead-letter topic offset');
}

/** The `dlt list|show|replay` command group of the operator CLI. */
export function dltCommand(): Command {
  const dlt = new Command('dlt').description(
    'Inspect and replay dead-letter topics (read by offset; never joins or commits a consumer group)',
  );

  withFilters(dlt.command('list'))
    .description('List dead letters matching the filters, oldest first')
    .option('--limit <n>', 'most records to print (default 100)')
    .option('--json', 'print JSON')
    .action(async (raw: RawFilterOptions & { limit?: string; json?: boolean }) => {
      const { context: ctx } = context(raw);
      await dltList(ctx, {
        ...filterOptions(raw),
        ...(raw.limit === undefined ? {} : { limit: nonNegativeInteger('--limit', raw.limit) }),
        json: raw.json === true,
      });
    });

  withFilters(dlt.command('show'))
    .description('Print dead letters in full (all headers, value pretty-printed) by --offset or --event-id')
    .option('--json', 'print JSON')
    .action(async (raw: RawFilterOptions & { json?: boolean }) => {
      const { context: ctx } = context(raw);
      await dltShow(ctx, { ...filterOptions(raw), json: raw.json === true });
    });

  withFilters(dlt.command('replay'))
    .description("Republish dead letters to the failing consumer's first retry tier (default), with an audit row each")
    .option('--dry-run', 'print what would be replayed; publish and record nothing')
    .option('--rate <n>', `records per second (default ${DEFAULT_REPLAY_RATE_PER_SECOND})`)
    .option('--to <target>', 'retry (default), source (LOUD: every consumer of the source topic), or a catalog topic')
    .option('--operator <name>', 'who replays, for the audit and the replayed-by header (default: $USER)')
    .option('--max-replays <n>', `records replayed this often are parked (default ${DEFAULT_MAX_REPLAYS})`)
    .option('--force', 'replay parked records too')
    .option('--limit <n>', 'most records to replay in this run (oldest first)')
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        raw: RawFilterOptions & {
          dryRun?: boolean;
          rate?: string;
          to?: string;
          operator?: string;
          maxReplays?: string;
          force?: boolean;
          limit?: string;
          json?: boolean;
        },
      ) => {
        const { context: ctx, user } = context(raw);
        const summary = await dltReplay(ctx, {
          ...filterOptions(raw),
          operator: raw.operator ?? user,
          dryRun: raw.dryRun === true,
          force: raw.force === true,
          json: raw.json === true,
          ...(raw.rate === undefined ? {} : { rate: positiveNumber('--rate', raw.rate) }),
          ...(raw.to === undefined ? {} : { to: raw.to }),
          ...(raw.maxReplays === undefined ? {} : { maxReplays: nonNegativeInteger('--max-replays', raw.maxReplays) }),
          ...(raw.limit === undefined ? {} : { limit: nonNegativeInteger('--limit', raw.limit) }),
        });
        if (summary.failed > 0) process.exitCode = 1;
      },
    );
  return dlt;
}
