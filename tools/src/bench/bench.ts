/**
 * `npm run bench`: one command that measures the stack on this machine, from a fresh clone.
 *
 * 1. A private stack: its own PostgreSQL server (initdb into .run/bench/, a free port, the stack's durability,
 *    pg_stat_statements), its own Kafka namespace and databases, the four services on free ports. Kafka is
 *    the broker already answering at KAFKA_BOOTSTRAP_SERVERS (default localhost:9092), else the project's
 *    single broker, started for the run and stopped after it.
 * 2. The machine's ceilings in the same run: pgbench commits/s, Kafka ProducerPerformance records/s, and one
 *    order's placed→final latency on the idle stack.
 * 3. An unmeasured warm-up (--warm-up, 90 s at 100/s by default), then a rate sweep, then a bounded search
 *    for the highest rate that holds (bench-report.ts, `isSustained`).
 *    Per rate: throughput, latency, CPU per order per process and per database, statements per order, and
 *    the load tool's reconciliation.
 * 4. reports/bench-<time>.json and .svg; with --write-docs, docs/benchmarks.md and its chart.
 *
 *   npm run bench                         default sweep (100, 200, 300, 500, 700/s, 60 s each) and search
 *   npm run bench -- --quick              CI-sized: 2 rates × 10 s, one search step
 *   npm run bench -- --rates 250 --duration 20 --search-steps 0
 *   npm run bench -- --compare rest,kafka [--quick] [--write-docs]
 *                                         the two reservation modes side by side (compare.ts); --write-docs
 *                                         writes docs/design/rest-vs-kafka.md, its chart and its report
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import {
  createAdmin,
  type KafkaSecurity,
  kafkaNamespace,
  kafkaSecurityFromEnv,
  LOCAL_CREDENTIALS_DIR,
} from '@shop/platform';
import { provisionTopics } from '@shop/platform/provisioning';
import { Command } from 'commander';
import pg from 'pg';
import {
  externalBootstrapServers,
  findFreePortBlock,
  type KafkaHandle,
  resolveKafka,
  startKafka,
  waitForMetadata,
} from '../../../infra/kafka/src/index.ts';
import { renderLoadChart } from '../load/load-chart.ts';
import type { LoadProgress, LoadReport } from '../load/load-run.ts';
import type { StackUrls } from '../load/stack-client.ts';
import { STACK_PROCESSES, type StackProcesses, startStackProcesses } from '../load/stack-processes.ts';
import {
  type BenchReport,
  cpuPerOrder,
  type DatabaseLabels,
  highestSustained,
  isSustained,
  nextSearchRate,
  type RateResult,
  REPORT_VERSION,
  SUSTAINED_CRITERION,
  settledInWindow,
  statementsPerOrder,
  TARGET_P99_MS,
  type WarmUp,
  warmupSeconds,
} from './bench-report.ts';
import { measureIdleLatency, measurePgbench, measureProducer, PGBENCH_BATCH_ROWS } from './ceilings.ts';
import { type CompareReport, type ReservationMode, runComparison } from './compare.ts';
import { cpuOverWindow } from './cpu-attribution.ts';
import { CpuSampler, SAMPLE_INTERVAL_MS } from './cpu-sampler.ts';
import type { LoadWorkerInput, LoadWorkerMessage } from './load-worker.ts';
import { type PrivatePostgres, startPrivatePostgres } from './private-postgres.ts';
import { pidListeningOn, readProcessStat, ticksToMs } from './proc-stat.ts';
import { COMPARISON_CHART, renderComparisonChart, renderComparisonMarkdown } from './render-comparison.ts';
import { DOCS_CHART, renderBenchMarkdown } from './render-markdown.ts';
import {
  resetStatements,
  snapshotStatements,
  snapshotWal,
  statementsDelta,
  type WalCounters,
  walPerOrder,
} from './statements.ts';
import { renderSweepChart } from './sweep-chart.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const REPORTS_DIR = join(REPO_ROOT, 'reports');
const RUN_ROOT = join(REPO_ROOT, '.run', 'bench');
const DEFAULT_RATES = [100, 200, 300, 500, 700];
const QUICK_RATES = [50, 100];
const DEFAULT_DURATION_SECONDS = 60;
const QUICK_DURATION_SECONDS = 10;
const DEFAULT_SEARCH_STEPS = 3;
/**
 * Before the sweep, the fresh stack runs this long at WARM_UP_RATE, unmeasured. Measured on this machine, a
 * stack started a minute before served 20 orders/s with a placed→final p99 of 1.2–1.9 s, and the same stack a
 * few minutes later 149 ms: the broker's JIT compiler and the services' own warm-up take CPU the first rate
 * would otherwise be charged for (the first rate of a run was always the worst, whatever it was).
 */
const DEFAULT_WARM_UP_SECONDS = 90;
const QUICK_WARM_UP_SECONDS = 10;
const WARM_UP_RATE = 100;
const QUICK_SEARCH_STEPS = 1;
/** Long enough for the broker answering to be noticed, short enough not to delay a start. */
const BROKER_PROBE_MS = 5_000;
/** Before each rate, the stack should be idle (the previous rate's backlog gone): at most this busy… */
const QUIET_CORES = 0.25;
/** …measured over this long… */
const QUIET_SAMPLE_MS = 2_000;
/** …waiting at most this long. */
const QUIET_TIMEOUT_MS = 90_000;
const PROGRESS_EVERY_SECONDS = 5;

const program = new Command('bench')
  .description('Ceilings, a rate sweep and a search for the highest sustainable rate, on a private stack')
  .option(
    '--rates <list>',
    `comma-separated orders/s (default ${DEFAULT_RATES.join(',')}; --quick ${QUICK_RATES.join(',')})`,
  )
  .option(
    '--duration <seconds>',
    `seconds per rate (default ${DEFAULT_DURATION_SECONDS}; --quick ${QUICK_DURATION_SECONDS})`,
    Number,
  )
  .option(
    '--drain <seconds>',
    'after sending, how long the last orders may take to settle (default: the duration, 20–60 s)',
    Number,
  )
  .option(
    '--search-steps <n>',
    `extra rates tried after the sweep (default ${DEFAULT_SEARCH_STEPS}; --quick ${QUICK_SEARCH_STEPS})`,
    Number,
  )
  .option(
    '--warm-up <seconds>',
    `seconds of unmeasured load at ${WARM_UP_RATE}/s before the sweep, 0 for none (default ${DEFAULT_WARM_UP_SECONDS}; --quick ${QUICK_WARM_UP_SECONDS})`,
    Number,
  )
  .option('--quick', 'CI-sized run: two rates, 10 s each, short ceilings')
  .option('--write-docs', 'also write docs/benchmarks.md and its chart from the report')
  .option('--keep', 'keep .run/bench/<run> (service logs) after a successful run')
  .option('--compare <modes>', 'compare the reservation modes (rest,kafka) under the same load and faults')
  .option(
    '--from-report <path>',
    'measure nothing: write docs/benchmarks.md and its chart (with --compare: docs/design/rest-vs-kafka.md) from an earlier report',
  )
  .parse();
const opts = program.opts<{
  rates?: string;
  duration?: number;
  drain?: number;
  searchSteps?: number;
  warmUp?: number;
  quick?: boolean;
  writeDocs?: boolean;
  keep?: boolean;
  fromReport?: string;
  compare?: string;
}>();
const quick = opts.quick === true;
const rates = (opts.rates ?? (quick ? QUICK_RATES : DEFAULT_RATES).join(','))
  .split(',')
  .map((r) => Number(r.trim()))
  .filter((r) => Number.isFinite(r) && r > 0);
if (rates.length === 0) throw new Error('--rates needs at least one positive number');
const durationSeconds = opts.duration ?? (quick ? QUICK_DURATION_SECONDS : DEFAULT_DURATION_SECONDS);
const drainSeconds = opts.drain ?? Math.min(60, Math.max(20, durationSeconds));
const searchSteps = opts.searchSteps ?? (quick ? QUICK_SEARCH_STEPS : DEFAULT_SEARCH_STEPS);
const warmup = warmupSeconds(durationSeconds);
const warmUpSeconds = Math.max(0, opts.warmUp ?? (quick ? QUICK_WARM_UP_SECONDS : DEFAULT_WARM_UP_SECONDS));
if (!Number.isFinite(warmUpSeconds)) throw new Error('--warm-up needs a number of seconds');
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

function say(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const runDir = join(RUN_ROOT, stamp);
const namespace = `bench-${Math.random().toString(36).slice(2, 8)}`;
const reportDir = join(REPORTS_DIR, `bench-${stamp}`);

// Everything started is stopped in reverse order, on success, failure or Ctrl-C.
const cleanups: Array<() => Promise<void>> = [];
let cleanedUp = false;
async function cleanUp(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: Error) => say(`clean-up: ${error.message}`));
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping what the bench started`);
    void cleanUp().then(() => process.exit(130));
  });
}

interface BenchKafka {
  servers: string[];
  broker: BenchReport['settings']['kafka']['broker'];
  /** The provisioner's login (set-up, the ceilings). */
  security: KafkaSecurity;
  /** Where the stack's services find their own principals' passwords; the user's variables apply without it. */
  credentialsDir: string | undefined;
}

/** KAFKA_CREDENTIALS_DIR for the services a bench starts, when there is a directory to give them. */
function credentialsEnv(kafka: Pick<BenchKafka, 'credentialsDir'>): Record<string, string> {
  return kafka.credentialsDir === undefined ? {} : { KAFKA_CREDENTIALS_DIR: kafka.credentialsDir };
}

async function connectKafka(): Promise<BenchKafka> {
  const servers = externalBootstrapServers() ?? ['localhost:9092'];
  // The provisioner's login from the user's variables, or the local broker's password files.
  const security = kafkaSecurityFromEnv(process.env, TOOL_PRINCIPALS.provisioner);
  const credentialsDir =
    process.env.KAFKA_CREDENTIALS_DIR ||
    (externalBootstrapServers() === undefined && existsSync(LOCAL_CREDENTIALS_DIR) ? LOCAL_CREDENTIALS_DIR : undefined);
  try {
    await waitForMetadata(servers, BROKER_PROBE_MS, { security });
    say(`Kafka: the broker at ${servers.join(',')} answers; using it`);
    return { servers, broker: 'already running', security, credentialsDir };
  } catch (error) {
    if (externalBootstrapServers() !== undefined) {
      throw new Error(`KAFKA_BOOTSTRAP_SERVERS=${servers.join(',')} does not answer: ${(error as Error).message}`);
    }
  }
  say('Kafka: nothing answers at localhost:9092; starting the project broker for this run');
  const handle: KafkaHandle = await startKafka({ foreground: false, report: (line) => say(`  ${line}`) });
  if (handle.source === 'started') cleanups.push(() => handle.stop());
  return {
    servers: handle.bootstrapServers,
    broker: handle.source === 'started' ? 'started for the run' : 'already running',
    security: handle.credentials === undefined ? security : { sasl: handle.credentials.admin },
    credentialsDir: handle.credentials?.dir ?? credentialsDir,
  };
}

function localBrokerPid(servers: string[]): number | undefined {
  const match = /^(localhost|127\.0\.0\.1|\[::1\]|::1):(\d+)$/.exec(servers[0] ?? '');
  return match?.[2] === undefined ? undefined : pidListeningOn(Number(match[2]));
}

async function waitQuiet(pids: number[]): Promise<number> {
  const started = Date.now();
  const ticks = () => pids.reduce((sum, pid) => sum + (readProcessStat(pid)?.ticks ?? 0), 0);
  while (Date.now() - started < QUIET_TIMEOUT_MS) {
    const before = ticks();
    await new Promise((resolve) => setTimeout(resolve, QUIET_SAMPLE_MS));
    const cores = ticksToMs(ticks() - before) / QUIET_SAMPLE_MS;
    if (cores < QUIET_CORES) return (Date.now() - started) / 1_000;
  }
  say(`  the stack is still busy after ${QUIET_TIMEOUT_MS / 1_000} s (a backlog of the previous rate); going on`);
  return (Date.now() - started) / 1_000;
}

interface RunContext {
  stack: StackProcesses;
  postgres: PrivatePostgres;
  statementsAdmin: pg.Client;
  samplerAdmin: pg.Client;
  brokerPid: number | undefined;
  labels: DatabaseLabels;
}

function progressLine(rate: number, p: LoadProgress): string {
  const p99 = p.currentP99Ms === undefined ? '-' : `${p.currentP99Ms.toFixed(0)} ms`;
  return `  ${rate}/s ${p.elapsedSeconds.toFixed(0).padStart(4)} s  sent ${p.sent}  accepted ${p.accepted}  settled ${p.completed}  in flight ${p.inFlight}  errors ${p.errors}  p99(5 s) ${p99}`;
}

/** One load generator in its own process (load-worker.ts), stopped with the rest on Ctrl-C or a failure. */
function spawnLoadWorker(input: LoadWorkerInput) {
  const worker = spawn(process.execPath, [join(REPO_ROOT, 'tools/src/bench/load-worker.ts'), JSON.stringify(input)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A no-op once it has exited.
  cleanups.push(async () => {
    worker.kill();
  });
  return worker;
}

/** The worker's messages as they come, its progress printed every PROGRESS_EVERY_SECONDS on the way. */
async function* loadMessages(
  worker: ReturnType<typeof spawnLoadWorker>,
  rate: number,
): AsyncGenerator<LoadWorkerMessage> {
  let lastPrinted = -PROGRESS_EVERY_SECONDS;
  for await (const line of createInterface({ input: worker.stdout })) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line) as LoadWorkerMessage;
    if ('progress' in message && message.progress.elapsedSeconds - lastPrinted >= PROGRESS_EVERY_SECONDS) {
      lastPrinted = Math.floor(message.progress.elapsedSeconds);
      say(progressLine(rate, message.progress));
    }
    yield message;
  }
}

/** Unmeasured load on the fresh stack (see DEFAULT_WARM_UP_SECONDS); returns what it saw, for the report. */
async function warmUpStack(ctx: RunContext, seconds: number): Promise<WarmUp> {
  say(`warm-up: ${WARM_UP_RATE}/s for ${seconds} s, not measured`);
  const worker = spawnLoadWorker({
    urls: ctx.stack.urls,
    rate: WARM_UP_RATE,
    durationSeconds: seconds,
    drainSeconds: Math.max(20, drainSeconds),
    scarceShare: 0.05,
    checkNotifications: true,
  });
  let report: LoadReport | undefined;
  for await (const message of loadMessages(worker, WARM_UP_RATE)) {
    if ('report' in message) report = message.report;
  }
  if (report === undefined) throw new Error('the warm-up load generator exited without a report');
  const result: WarmUp = {
    rate: WARM_UP_RATE,
    seconds,
    acceptedPerSecond: report.throughput.acceptedPerSecond,
    settledPerSecond: report.throughput.completedPerSecond,
    placedToFinalP99Ms: report.placedToFinalMs.p99 ?? null,
  };
  say(
    `  warm-up => accepted ${result.acceptedPerSecond.toFixed(1)}/s, settled ${result.settledPerSecond.toFixed(1)}/s, placed→final p99 ${result.placedToFinalP99Ms?.toFixed(0) ?? '-'} ms`,
  );
  return result;
}

async function runRate(ctx: RunContext, rate: number, phase: RateResult['phase']): Promise<RateResult> {
  const pidsToQuiet = [...Object.values(ctx.stack.pids), ...(ctx.brokerPid === undefined ? [] : [ctx.brokerPid])];
  const waited = await waitQuiet(pidsToQuiet);
  say(
    `${phase} ${rate}/s for ${durationSeconds} s${waited > QUIET_SAMPLE_MS / 1_000 + 1 ? ` (waited ${waited.toFixed(0)} s for the stack to be idle)` : ''}`,
  );
  await resetStatements(ctx.statementsAdmin);
  const databases = Object.values(ctx.stack.databases);
  const worker = spawnLoadWorker({
    urls: ctx.stack.urls,
    rate,
    durationSeconds,
    drainSeconds,
    scarceShare: 0.05,
    checkNotifications: true,
  });
  const sampler = new CpuSampler({
    processes: () => ({ ...ctx.stack.pids, broker: ctx.brokerPid, generator: worker.pid, bench: process.pid }),
    postmasterPid: ctx.postgres.postmasterPid,
    admin: ctx.samplerAdmin,
  });
  sampler.start();
  let startedAt: number | undefined;
  let settledAt: number | undefined;
  let report: LoadReport | undefined;
  // pg_stat_statements when the first order goes out, at both ends of the steady-state window, and when
  // every order is final.
  type Snapshot = Awaited<ReturnType<typeof snapshotStatements>> | undefined;
  const snapshots = new Map<'start' | 'warm' | 'end' | 'settled', Promise<Snapshot>>();
  const take = () => snapshotStatements(ctx.statementsAdmin, databases).catch(() => undefined);
  const timers: Array<{ timer: NodeJS.Timeout; resolve: (s: Snapshot) => void }> = [];
  // The services' event-loop busy time at both ends of the window, beside the statements' snapshots.
  const loops = new Map<'warm' | 'end', Promise<LoopBusy | undefined>>();
  const wal = new Map<'warm' | 'end', Promise<WalCounters | undefined>>();
  for await (const message of loadMessages(worker, rate)) {
    if ('started' in message) {
      startedAt = message.started;
      snapshots.set('start', take());
      for (const [name, second] of [
        ['warm', warmup],
        ['end', durationSeconds],
      ] as const) {
        const { promise, resolve } = Promise.withResolvers<Snapshot>();
        snapshots.set(name, promise);
        const loop = Promise.withResolvers<LoopBusy | undefined>();
        loops.set(name, loop.promise);
        const walAt = Promise.withResolvers<WalCounters | undefined>();
        wal.set(name, walAt.promise);
        const delay = Math.max(0, message.started + second * 1_000 - Date.now());
        timers.push({
          timer: setTimeout(() => {
            void take().then(resolve);
            void loopBusy(ctx.stack.urls).then(loop.resolve);
            void snapshotWal(ctx.statementsAdmin).then(walAt.resolve, () => walAt.resolve(undefined));
          }, delay),
          resolve: (snapshot) => {
            resolve(snapshot);
            loop.resolve(undefined);
            walAt.resolve(undefined);
          },
        });
      }
    } else if ('settled' in message) {
      settledAt = message.settled;
      snapshots.set('settled', take());
    } else if ('report' in message) report = message.report;
  }
  const code = await new Promise<number | null>((resolve) => {
    if (worker.exitCode !== null) resolve(worker.exitCode);
    else worker.once('exit', resolve);
  });
  await sampler.stop();
  // A window end the run never reached (the generator stopped early) has no snapshot.
  for (const { timer, resolve } of timers) {
    clearTimeout(timer);
    resolve(undefined);
  }
  if (report === undefined || startedAt === undefined || settledAt === undefined)
    throw new Error(`the load generator exited (code ${code}) without a report`);
  const [atStart, atWarm, atEnd, atSettled] = await Promise.all(
    (['start', 'warm', 'end', 'settled'] as const).map((name) => snapshots.get(name)),
  );

  const [loopsAtWarm, loopsAtEnd] = await Promise.all([loops.get('warm'), loops.get('end')]);
  const eventLoopBusy = loopUtilisation(loopsAtWarm, loopsAtEnd);
  const windowOrders = settledInWindow(report.timeline, warmup, durationSeconds);
  const [walAtWarm, walAtEnd] = await Promise.all([wal.get('warm'), wal.get('end')]);
  const walOrder = walPerOrder(walAtWarm, walAtEnd, windowOrders);
  const cpu = cpuOverWindow(sampler.samples, startedAt + warmup * 1_000, startedAt + durationSeconds * 1_000);
  const { cpuMsPerOrder, coresBusy } =
    cpu === undefined ? { cpuMsPerOrder: null, coresBusy: null } : cpuPerOrder(cpu, windowOrders, ctx.labels);
  const statements =
    atWarm === undefined || atEnd === undefined
      ? null
      : statementsPerOrder(statementsDelta(atWarm, atEnd), windowOrders, ctx.labels);
  // The whole run: every order's work, from the first sent to the last settled, whatever the backlog.
  const wholeOrders = report.completed.confirmed + report.completed.cancelled;
  const wholeCpu = cpuOverWindow(sampler.samples, startedAt, settledAt + SAMPLE_INTERVAL_MS);
  const wholeRun: RateResult['wholeRun'] = {
    seconds: (settledAt - startedAt) / 1_000,
    orders: wholeOrders,
    cpuMsPerOrder: wholeCpu === undefined ? null : cpuPerOrder(wholeCpu, wholeOrders, ctx.labels).cpuMsPerOrder,
    statementsPerOrder:
      atStart === undefined || atSettled === undefined
        ? null
        : statementsPerOrder(statementsDelta(atStart, atSettled), wholeOrders, ctx.labels),
  };
  const r = report.reconciliation;
  const problems = [
    r.everyAcceptedOrderFinal ? '' : `${report.completed.pendingAtEnd} order(s) not final after the drain`,
    r.stockConserved ? '' : `stock not conserved for ${r.stockDifferences.length} SKU(s)`,
    r.ordersWithWrongNotificationCount.length === 0
      ? ''
      : `${r.ordersWithWrongNotificationCount.length} order(s) with wrong notifications`,
    r.payments.ok ? '' : `${r.payments.mismatches.length} payment mismatch(es)`,
  ].filter((p) => p !== '');
  const rejected503 = report.errors['http-503'] ?? 0;
  const otherErrors = Object.fromEntries(Object.entries(report.errors).filter(([k]) => k !== 'http-503'));
  const loadReport = join(reportDir, `load-${rate}rps-${phase}.json`);
  await writeFile(loadReport, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(loadReport.replace(/\.json$/, '.svg'), renderLoadChart(report, TARGET_P99_MS));
  const partial = {
    rate,
    phase,
    durationSeconds,
    sent: report.sent,
    accepted: report.accepted,
    rejected503,
    otherErrors,
    acceptedPerSecond: report.throughput.acceptedPerSecond,
    settledPerSecond: windowOrders / (durationSeconds - warmup),
    settled: report.completed,
    placedToFinalMs: report.placedToFinalMs,
    acceptMs: report.acceptMs,
    reconciliation: {
      ok: r.ok,
      summary: r.ok
        ? `${report.completed.confirmed + report.completed.cancelled} orders: ${report.completed.confirmed} confirmed, ${report.completed.cancelled} cancelled`
        : problems.join('; '),
    },
    window: { fromSecond: warmup, toSecond: durationSeconds, orders: windowOrders },
    cpuMsPerOrder,
    eventLoopBusy,
    walPerOrder: walOrder,
    coresBusy,
    statementsPerOrder: statements,
    wholeRun,
    loadReport: loadReport.slice(REPO_ROOT.length),
  };
  const result: RateResult = { ...partial, sustained: isSustained(partial) };
  const lat = result.placedToFinalMs;
  say(
    `  => accepted ${result.acceptedPerSecond.toFixed(1)}/s, settled ${result.settledPerSecond.toFixed(1)}/s, 503s ${rejected503}, ` +
      `placed→final p50 ${lat.p50} p99 ${lat.p99} max ${lat.max} ms, reconciliation ${r.ok ? 'clean' : `FAILED (${problems.join('; ')})`}`,
  );
  say(
    `     CPU per order: stack ${cpuMsPerOrder?.stack.toFixed(2) ?? '-'} ms (PostgreSQL ${cpuMsPerOrder?.postgresTotal.toFixed(2) ?? '-'} ms), ` +
      `machine ${cpuMsPerOrder?.machine.toFixed(2) ?? '-'} ms, generator ${cpuMsPerOrder?.processes.generator?.toFixed(2) ?? '-'} ms ` +
      `(${((coresBusy?.processes.generator ?? 0) * 100).toFixed(0)}% of a core); statements per order ${statements?.total.toFixed(1) ?? '-'}; ` +
      `${result.sustained ? 'sustained' : 'NOT sustained'}`,
  );
  say(
    `     WAL per order: ${
      walOrder === null
        ? '-'
        : `${walOrder.records.toFixed(1)} records, ${walOrder.fullPageImages.toFixed(2)} full-page images, ${(walOrder.bytes / 1_024).toFixed(1)} kB`
    }`,
  );
  say(
    `     event loops busy: ${
      eventLoopBusy === null
        ? '-'
        : Object.entries(eventLoopBusy)
            .map(([service, busy]) => `${service} ${(busy * 100).toFixed(0)}%`)
            .join(', ')
    }`,
  );
  say(
    `     whole run (${wholeRun.seconds.toFixed(0)} s, ${wholeOrders} orders): stack ${wholeRun.cpuMsPerOrder?.stack.toFixed(2) ?? '-'} ms CPU and ` +
      `${wholeRun.statementsPerOrder?.total.toFixed(1) ?? '-'} statements per order`,
  );
  return result;
}

async function main(): Promise<void> {
  // The code that runs is the code at start: read the commit now, not after the run.
  const commit = git(['rev-parse', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  await mkdir(runDir, { recursive: true });
  await mkdir(reportDir, { recursive: true });
  const loadAverageAtStart = loadavg();
  say(
    `run ${stamp}: rates ${rates.join(', ')}/s, ${durationSeconds} s each (window ${warmup}–${durationSeconds} s), drain ${drainSeconds} s, search steps ${searchSteps}`,
  );
  say(
    `machine load average ${loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}; namespace ${namespace}; run dir ${runDir.slice(REPO_ROOT.length)}`,
  );

  const kafka = await connectKafka();
  const brokerPid = localBrokerPid(kafka.servers);
  const { version: kafkaVersion } = await resolveKafka({ report: (line) => say(`  ${line}`) });

  const pgPort = await findFreePortBlock(1);
  say(`PostgreSQL: initdb and start a private server on 127.0.0.1:${pgPort}`);
  const postgres = await startPrivatePostgres({ dir: join(runDir, 'pg'), port: pgPort });
  cleanups.push(() => postgres.stop());
  const statementsAdmin = new pg.Client({ connectionString: `${postgres.url}/postgres`, application_name: 'bench' });
  await statementsAdmin.connect();
  cleanups.push(() => statementsAdmin.end());
  await statementsAdmin.query('create extension if not exists pg_stat_statements');
  const samplerAdmin = new pg.Client({
    connectionString: `${postgres.url}/postgres`,
    application_name: 'bench-sampler',
  });
  await samplerAdmin.connect();
  cleanups.push(() => samplerAdmin.end());
  say(`  ${postgres.version}, postmaster pid ${postgres.postmasterPid}`);

  const connection = { bootstrapServers: kafka.servers, clientId: 'bench', security: kafka.security };
  const topics = await provisionTopics({ connection, namespace: kafkaNamespace(namespace), apply: true });
  const created = topics.applied.flatMap((a) => (a.kind === 'create' ? [a.topic.name] : []));
  cleanups.push(async () => {
    const admin = createAdmin(connection);
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.close();
  });
  const replicationFactor = Math.min(3, topics.brokerCount);
  say(`Kafka: ${created.length} topics in namespace ${namespace} (broker pid ${brokerPid ?? 'not local'})`);

  const basePort = await findFreePortBlock(5);
  await mkdir(join(runDir, 'logs'), { recursive: true });
  let failure: string | undefined;
  const stack = await startStackProcesses({
    namespace,
    basePort,
    env: { DATABASE_URL: postgres.url, KAFKA_BOOTSTRAP_SERVERS: kafka.servers.join(','), ...credentialsEnv(kafka) },
    output: (label) => openSync(join(runDir, 'logs', `${label}.log`), 'a'),
    onUnexpectedExit: (label, code) => {
      failure = `${label} exited (code ${code}); its log is ${join(runDir, 'logs', `${label}.log`)}`;
      say(`FAILED: ${failure}`);
    },
  });
  cleanups.push(() => stack.stop());
  const labels: DatabaseLabels = Object.fromEntries(
    Object.values(stack.databases).map((db) => [db, db.slice(namespace.length + 1)]),
  );
  say(`stack up on ports ${basePort + 1}–${basePort + 4} (pids ${Object.values(stack.pids).join(' ')})`);

  say('ceilings: one order at a time on the idle stack');
  const idleLatency = await measureIdleLatency(stack.urls);
  say(`  placed→final median ${idleLatency.medianMs} ms (${idleLatency.placedToFinalMs.join(', ')} ms)`);
  const pgbenchSeconds = quick ? 5 : 10;
  const pgOptions = {
    binDir: postgres.binDir,
    serverUrl: postgres.url,
    port: postgres.port,
    postmasterPid: postgres.postmasterPid,
    workDir: runDir,
  };
  say(`ceilings: pgbench, single-row insert commits, 8 clients, ${pgbenchSeconds} s`);
  const pgbench = await measurePgbench({ ...pgOptions, seconds: pgbenchSeconds, rowsPerCommit: 1 });
  say(
    `  ${pgbench.commitsPerSecond.toFixed(0)} commits/s, ${pgbench.postgresCpuUsPerCommit.toFixed(0)} µs PostgreSQL CPU per commit`,
  );
  say(`ceilings: pgbench, ${PGBENCH_BATCH_ROWS}-row insert commits, ${quick ? 3 : 5} s`);
  const pgbenchBatched = await measurePgbench({
    ...pgOptions,
    seconds: quick ? 3 : 5,
    rowsPerCommit: PGBENCH_BATCH_ROWS,
  });
  say(
    `  ${pgbenchBatched.rowsPerSecond.toFixed(0)} rows/s, ${pgbenchBatched.postgresCpuUsPerRow.toFixed(1)} µs PostgreSQL CPU per row`,
  );
  const records = quick ? 100_000 : 300_000;
  say(`ceilings: Kafka ProducerPerformance, ${records} records of 400 bytes, acks=all, idempotent`);
  const producer = await measureProducer({
    bootstrapServers: kafka.servers,
    security: kafka.security,
    topic: `${namespace}.ceiling-producer-performance`,
    records,
    replicationFactor,
    brokerPid,
  });
  say(`  ${producer.summary}`);

  const ctx: RunContext = { stack, postgres, statementsAdmin, samplerAdmin, brokerPid, labels };
  const warmedUp = warmUpSeconds > 0 ? await warmUpStack(ctx, warmUpSeconds) : null;
  const runs: RateResult[] = [];
  for (const rate of rates) {
    if (failure !== undefined) throw new Error(failure);
    runs.push(await runRate(ctx, rate, 'sweep'));
  }
  let steps = 0;
  for (; steps < searchSteps; steps++) {
    const next = nextSearchRate(runs);
    if (next === undefined || failure !== undefined) break;
    runs.push(await runRate(ctx, next, 'search'));
  }
  if (failure !== undefined) throw new Error(failure);

  const report: BenchReport = {
    version: REPORT_VERSION,
    generatedAt: new Date().toISOString(),
    command,
    commit,
    dirty,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: totalmem() / 1024 ** 3,
      kernel: `Linux ${release()}`,
      loadAverageAtStart,
    },
    software: { node: `Node.js ${process.version}`, postgres: postgres.version, kafka: kafkaVersion },
    settings: {
      rates,
      durationSeconds,
      warmupSeconds: warmup,
      warmUp: warmedUp,
      drainSeconds,
      quick,
      searchSteps,
      targetP99Ms: TARGET_P99_MS,
      postgres: postgres.settings,
      kafka: { bootstrapServers: kafka.servers, broker: kafka.broker, replicationFactor },
    },
    ceilings: { pgbench, pgbenchBatched, producer, idleLatency },
    runs,
    highestSustainable: { rate: highestSustained(runs), searchSteps: steps, criterion: SUSTAINED_CRITERION },
  };
  const jsonPath = join(reportDir, 'bench.json');
  const svgPath = join(reportDir, 'bench-sweep.svg');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(svgPath, renderSweepChart(report));
  say(
    `highest sustainable rate: ${report.highestSustainable.rate ?? 'none'}${report.highestSustainable.rate === null ? '' : ' orders/s'} (${SUSTAINED_CRITERION})`,
  );
  say(`report ${jsonPath.slice(REPO_ROOT.length)}, chart ${svgPath.slice(REPO_ROOT.length)}`);
  if (opts.writeDocs) await writeDocs(report, jsonPath.slice(REPO_ROOT.length));
}

async function writeDocs(report: BenchReport, reportPath: string): Promise<void> {
  const docs = join(REPO_ROOT, 'docs');
  await mkdir(join(docs, 'benchmarks'), { recursive: true });
  await writeFile(join(docs, 'benchmarks.md'), renderBenchMarkdown(report, reportPath));
  await writeFile(join(docs, DOCS_CHART), renderSweepChart(report));
  say(`wrote docs/benchmarks.md and docs/${DOCS_CHART} from ${reportPath}`);
}

async function compareModes(modes: string): Promise<string> {
  const list = modes.split(',').map((m) => m.trim());
  for (const mode of list) if (mode !== 'rest' && mode !== 'kafka') throw new Error(`--compare: unknown mode ${mode}`);
  const started = Date.now();
  const kafka = await connectKafka();
  const {
    report,
    path,
    runDir: comparisonDir,
  } = await runComparison({
    modes: list as ReservationMode[],
    quick,
    repoRoot: REPO_ROOT,
    bootstrapServers: kafka.servers,
    security: kafka.security,
    credentialsDir: kafka.credentialsDir,
    command,
    commit: git(['rev-parse', 'HEAD']) || 'unknown',
    say,
    cleanups,
  });
  say(`comparison done in ${((Date.now() - started) / 60_000).toFixed(1)} min; report ${path.slice(REPO_ROOT.length)}`);
  if (opts.writeDocs) await writeComparisonDocs(report);
  return comparisonDir;
}

async function writeComparisonDocs(report: CompareReport): Promise<void> {
  // The report goes beside the page (reports/ is not committed), so every figure of the page can be traced.
  const docs = join(REPO_ROOT, 'docs');
  const reportPath = 'docs/design/rest-vs-kafka.json';
  await writeFile(join(REPO_ROOT, reportPath), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(docs, 'design', 'rest-vs-kafka.md'), renderComparisonMarkdown(report, reportPath));
  await writeFile(join(docs, COMPARISON_CHART), renderComparisonChart(report));
  say(`wrote docs/design/rest-vs-kafka.md, its chart and ${reportPath}`);
}

if (opts.compare !== undefined && opts.fromReport !== undefined) {
  const path = resolve(opts.fromReport);
  await writeComparisonDocs(JSON.parse(await readFile(path, 'utf8')) as CompareReport);
} else if (opts.compare !== undefined) {
  try {
    const comparisonDir = await compareModes(opts.compare);
    await cleanUp();
    // The service logs, kept only on request (or after a failure).
    if (!opts.keep) await rm(comparisonDir, { recursive: true, force: true });
  } catch (error) {
    say(`FAILED: ${(error as Error).stack ?? String(error)}`);
    await cleanUp();
    process.exitCode = 1;
  }
} else if (opts.fromReport !== undefined) {
  const path = resolve(opts.fromReport);
  await writeDocs(JSON.parse(await readFile(path, 'utf8')) as BenchReport, relative(REPO_ROOT, path));
} else {
  try {
    await main();
    await cleanUp();
    if (!opts.keep) await rm(runDir, { recursive: true, force: true });
  } catch (error) {
    say(`FAILED: ${(error as Error).stack ?? String(error)}`);
    await cleanUp();
    say(`service logs kept in ${runDir}/logs`);
    process.exitCode = 1;
  }
}

/**
 * Each service's event-loop busy seconds (nodejs_eventloop_busy_seconds_total) and when its answer arrived:
 * the counter is read as the scrape is answered, which a saturated loop does late, so the request's start
 * would stretch or shrink the interval by that delay.
 */
type LoopBusy = Record<string, { seconds: number; atMs: number }>;

/** Reads every service's busy counter from its /metrics; a service that does not answer in time is left out. */
async function loopBusy(urls: StackUrls): Promise<LoopBusy> {
  const readings: LoopBusy = {};
  await Promise.all(
    STACK_PROCESSES.map(async ({ label: service }) => {
      try {
        const text = await (await fetch(`${urls[service]}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
        const value = /^nodejs_eventloop_busy_seconds_total ([0-9.e+-]+)$/m.exec(text)?.[1];
        if (value !== undefined) readings[service] = { seconds: Number(value), atMs: performance.now() };
      } catch {
        // Unknown for this window: the report shows the services that answered.
      }
    }),
  );
  return readings;
}

/** Busy share of each service's event loop between two readings; null without both. */
function loopUtilisation(from: LoopBusy | undefined, to: LoopBusy | undefined): Record<string, number> | null {
  if (from === undefined || to === undefined) return null;
  const busy: Record<string, number> = {};
  for (const [service, end] of Object.entries(to)) {
    const start = from[service];
    if (start === undefined || end.atMs <= start.atMs) continue;
    busy[service] = Math.min(1, Math.max(0, (end.seconds - start.seconds) / ((end.atMs - start.atMs) / 1_000)));
  }
  return Object.keys(busy).length === 0 ? null : busy;
}
