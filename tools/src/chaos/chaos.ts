/**
 * `npm run chaos`: scale-out under faults. A private PostgreSQL server and three-node Kafka cluster, two
 * instances of each service, an open-model load, and a fault schedule (broker kills, a frozen broker,
 * instance kills, a database restart, a rolling restart); then an independent check that nothing was lost
 * or done twice, and the recovery after each fault. Exits non-zero when any invariant fails.
 *
 *   npm run chaos                                    # 100 orders/s for 5 minutes after a 60 s warm-up, the default schedule
 *   npm run chaos -- --rate 40 --duration 90 --schedule short
 *   npm run chaos -- --schedule faults.json          # a JSON array of faults (see fault-schedule.ts)
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { runChaos } from './chaos-run.ts';
import { DEFAULT_SCHEDULE_SECONDS, resolveSchedule } from './fault-schedule.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

const program = new Command('chaos')
  .option('--rate <n>', 'orders per second (open model)', Number, 100)
  .option('--duration <s>', 'seconds of load', Number, DEFAULT_SCHEDULE_SECONDS)
  .option('--drain <s>', 'seconds after the load for every order to become final', Number, 120)
  .option('--instances <n>', 'processes per service', Number, 2)
  .option('--warm-up <s>', 'seconds of the same load before the measured one (no fault, not measured)', Number, 60)
  .option(
    '--schedule <name|file>',
    "'default', 'short' (times scaled to --duration), 'none', or a JSON file",
    'default',
  )
  .option('--out <dir>', 'report directory (default reports/chaos-<time>)')
  .parse();
const options = program.opts<{
  rate: number;
  duration: number;
  drain: number;
  instances: number;
  warmUp: number;
  schedule: string;
  out?: string;
}>();

const stamp = new Date()
  .toISOString()
  .replaceAll(':', '-')
  .replace(/\.\d+Z$/, 'Z');
const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const { report } = await runChaos({
  rate: options.rate,
  durationSeconds: options.duration,
  drainSeconds: options.drain,
  instances: options.instances,
  warmUpSeconds: options.warmUp,
  schedule: resolveSchedule(options.schedule, options.duration),
  runDir: join(REPO_ROOT, '.run', 'chaos', stamp),
  reportDir: options.out ?? join(REPO_ROOT, 'reports', `chaos-${stamp}`),
  report: say,
});
process.exit(report.ok ? 0 : 1);
