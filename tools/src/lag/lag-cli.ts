/**
 * The `lag` command of the operator CLI (tools/src/cli.ts):
 *
 *   lag [--group g ...] [--namespace ns] [--json] [--watch] [--interval s] [--samples n]
 *
 * Status needs history (see burrow-status.ts). One-shot mode takes `--samples` readings (default
 * ONE_SHOT_SAMPLES) `--interval` apart (default ONE_SHOT_INTERVAL_S) and prints the last reading with the
 * status of that short window; `--samples 1` prints the lag alone, status 'n/a'. A short window can only
 * tell OK, WARN (a lagging group without members is WARN too) and STALL apart; STOP, the window's duration
 * without progress, needs `--watch`, which keeps a window of
 * WATCH_WINDOW_SAMPLES readings `--interval` apart (default WATCH_INTERVAL_S) until Ctrl-C.
 * Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_NAMESPACE (default for --namespace). Read once here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { CommonEnvSchema, kafkaConnectionFromEnv, kafkaNamespace, loadEnv, NAMESPACE_PATTERN } from '@shop/platform';
import { Command } from 'commander';
import Type from 'typebox';
import { lagError } from './errors.ts';
import { formatLagTable, lagToJson } from './lag-format.ts';
import { catalogGroups, type GroupTopics, LagReader } from './lag-reader.ts';
import { LagTracker } from './lag-sample.ts';

/** One-shot mode: readings taken, and seconds between them (2 s of history for a status). */
export const ONE_SHOT_SAMPLES = 3;
export const ONE_SHOT_INTERVAL_S = 1;
/** Watch mode: seconds between readings, and readings per status window (10 × 2 s = 20 s). */
export const WATCH_INTERVAL_S = 2;
export const WATCH_WINDOW_SAMPLES = 10;
/** Most readings one-shot mode may take, so a typo cannot make it hang for minutes. */
const MAX_ONE_SHOT_SAMPLES = 20;
/** ANSI: cursor home and clear screen, so --watch redraws in place. */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';
const CLI_CLIENT_ID = 'shop-cli-lag';

const LagEnvSchema = Type.Object({
  ...CommonEnvSchema.properties,
  /** Topic and group prefix; empty in production. */
  KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
});

interface RawLagOptions {
  group?: string[];
  namespace?: string;
  json?: boolean;
  watch?: boolean;
  interval?: string;
  samples?: string;
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw lagError('LAG_INVALID_OPTION', `${name} ${text}: must be above 0`);
  return value;
}

/**
 * The groups to read: `--group` values (catalog ids or full names, namespaced like the catalog's when
 * they are catalog ids), else every catalog group, main and retry tiers.
 */
export function selectGroups(prefix: string, requested: readonly string[] | undefined): GroupTopics[] {
  const all = catalogGroups(kafkaNamespace(prefix));
  if (requested === undefined || requested.length === 0) return all;
  return requested.map((name) => {
    const namespaced = kafkaNamespace(prefix).group(name);
    // A group outside the catalog is read too: its topics come from its committed offsets.
    return all.find((entry) => entry.group === namespaced || entry.group === name) ?? { group: name, topics: [] };
  });
}

/** The `lag` command of the operator CLI. */
export function lagCommand(): Command {
  return new Command('lag')
    .description('Consumer lag per partition (like kafka-consumer-groups --describe) with time lag and status')
    .option('--group <group...>', 'consumer group(s): catalog group id or full name; default: every catalog group')
    .option('--namespace <prefix>', 'topic and group prefix (default: $KAFKA_NAMESPACE, empty in production)')
    .option('--json', 'print JSON (one document per reading in --watch mode)')
    .option('--watch', `re-read every --interval and keep a ${WATCH_WINDOW_SAMPLES}-reading status window`)
    .option('--interval <s>', `seconds between readings (default ${ONE_SHOT_INTERVAL_S}; --watch ${WATCH_INTERVAL_S})`)
    .option('--samples <n>', `one-shot readings for the status (default ${ONE_SHOT_SAMPLES}; 1: no status)`)
    .action(async (raw: RawLagOptions) => {
      const env = loadEnv(LagEnvSchema);
      const prefix = raw.namespace ?? env.KAFKA_NAMESPACE;
      if (!new RegExp(NAMESPACE_PATTERN).test(prefix)) {
        throw lagError('LAG_INVALID_OPTION', `--namespace ${prefix}: must match ${NAMESPACE_PATTERN}`);
      }
      const watch = raw.watch === true;
      const intervalS =
        raw.interval === undefined
          ? watch
            ? WATCH_INTERVAL_S
            : ONE_SHOT_INTERVAL_S
          : positiveNumber('--interval', raw.interval);
      const samples = raw.samples === undefined ? ONE_SHOT_SAMPLES : positiveNumber('--samples', raw.samples);
      if (!Number.isInteger(samples) || samples > MAX_ONE_SHOT_SAMPLES) {
        throw lagError(
          'LAG_INVALID_OPTION',
          `--samples ${raw.samples}: must be an integer from 1 to ${MAX_ONE_SHOT_SAMPLES}`,
        );
      }
      const groups = selectGroups(prefix, raw.group);
      const reader = new LagReader(
        kafkaConnectionFromEnv(process.env, { clientId: CLI_CLIENT_ID, principal: TOOL_PRINCIPALS.lagReader }),
      );
      const stopping = new AbortController();
      const onSignal = () => stopping.abort();
      process.once('SIGINT', onSignal);
      try {
        // A short window in one-shot mode: STOP by time cannot show there (and should not: 2 s is no outage).
        const tracker = new LagTracker(
          watch
            ? // STOP: no commit for longer than the window.
              { windowSamples: WATCH_WINDOW_SAMPLES, stopAfterMs: WATCH_WINDOW_SAMPLES * intervalS * 1_000 }
            : { windowSamples: samples, minSamples: Math.min(samples, ONE_SHOT_SAMPLES) },
        );
        for (let reading = 1; ; reading++) {
          const lag = await reader.read(groups);
          tracker.add(lag);
          const statuses = samples === 1 && !watch ? new Map() : tracker.statuses();
          const last = !watch && reading >= samples;
          if (watch || last) {
            const text = raw.json
              ? `${JSON.stringify(lagToJson(lag, statuses), null, watch ? 0 : 2)}\n`
              : formatLagTable(lag, statuses);
            process.stdout.write(watch && !raw.json ? `${CLEAR_SCREEN}${new Date().toISOString()}\n${text}` : text);
          }
          if (last || stopping.signal.aborted) break;
          await sleep(intervalS * 1_000, undefined, { signal: stopping.signal }).catch(() => {});
          if (stopping.signal.aborted) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        await reader.close();
      }
    });
}
