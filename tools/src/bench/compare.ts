/**
 * `npm run bench -- --compare rest,kafka`: the Order Service's two reservation modes side by side, each on
 * the same private stack (one private PostgreSQL server, a fresh Kafka namespace and databases per stack),
 * under the same open-model load (the load worker), with the same faults:
 *
 * 1. throughput and latency: a rate sweep; the highest rate with placed→final p99 < 1 s (every order
 *    accepted, reconciliation clean); POST latency and placed→final at the common rate;
 * 2. Inventory down: its process frozen (SIGSTOP) mid-run, then resumed (SIGCONT): share of orders accepted
 *    during the outage, errors customers saw, time until every accepted order is final after it, orders lost;
 * 3. Inventory slow: INVENTORY_RESERVE_DELAY_MS=200 on a fresh stack: POST latency and intake;
 * 4. a burst of 3× the common rate for 10 s over it: what customers see, and how long each mode drains.
 *
 * Writes reports/compare-<time>/compare.json; with --write-docs, docs/design/rest-vs-kafka.md and its chart.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdmin, type KafkaSecurity, kafkaNamespace } from '@shop/platform';
import { provisionTopics } from '@shop/platform/provisioning';
import { findFreePortBlock } from '../../../infra/kafka/src/index.ts';
import type { LoadReport } from '../load/load-run.ts';
import { type StackProcesses, startStackProcesses } from '../load/stack-processes.ts';
import type { LoadWorkerInput, LoadWorkerMessage } from './load-worker.ts';
import { startPrivatePostgres } from './private-postgres.ts';

export type ReservationMode = 'rest' | 'kafka';

export interface CompareOptions {
  modes: readonly ReservationMode[];
  quick: boolean;
  repoRoot: string;
  bootstrapServers: string[];
  /** The provisioner's login (topics, ACLs). */
  security: KafkaSecurity;
  /** Handed to the services as KAFKA_CREDENTIALS_DIR, so each logs in as its own principal. */
  credentialsDir: string | undefined;
  command: string;
  commit: string;
  say(line: string): void;
  /** Registered clean-ups (stopped in reverse order by the caller). */
  cleanups: Array<() => Promise<void>>;
}

/** Latency target of "sustained". */
export const COMPARE_TARGET_P99_MS = 1_000;

interface Plan {
  sweep: number[];
  commonRate: number;
  seconds: number;
  outageAtSecond: number;
  outageSeconds: number;
  outageRunSeconds: number;
  burstAtSecond: number;
  burstSeconds: number;
  burstRunSeconds: number;
  slowDelayMs: number;
  drainSeconds: number;
}

const FULL: Plan = {
  sweep: [20, 40, 60, 100, 150, 200],
  commonRate: 20,
  seconds: 30,
  outageAtSecond: 15,
  outageSeconds: 30,
  outageRunSeconds: 75,
  burstAtSecond: 15,
  burstSeconds: 10,
  burstRunSeconds: 45,
  slowDelayMs: 200,
  drainSeconds: 90,
};

const QUICK: Plan = {
  sweep: [20],
  commonRate: 20,
  seconds: 10,
  outageAtSecond: 5,
  outageSeconds: 10,
  outageRunSeconds: 25,
  burstAtSecond: 5,
  burstSeconds: 10,
  burstRunSeconds: 20,
  slowDelayMs: 200,
  drainSeconds: 60,
};

export interface RateRun {
  rate: number;
  sent: number;
  accepted: number;
  errors: Record<string, number>;
  acceptedPerSecond: number;
  postMs: LoadReport['acceptMs'];
  placedToFinalMs: LoadReport['placedToFinalMs'];
  pendingAtEnd: number;
  reconciliationOk: boolean;
  sustained: boolean;
}

export interface ModeResult {
  mode: ReservationMode;
  sweep: RateRun[];
  highestSustainedRate: number | null;
  outage: {
    rate: number;
    fromSecond: number;
    seconds: number;
    sentDuringOutage: number;
    acceptedDuringOutage: number;
    acceptedShare: number;
    customerErrors: Record<string, number>;
    /** From the end of the outage until every order accepted before its end was final. */
    secondsToAllFinalAfter: number;
    lost: number;
    reconciliationOk: boolean;
    postMs: LoadReport['acceptMs'];
    placedToFinalMs: LoadReport['placedToFinalMs'];
  };
  slow: { delayMs: number; run: RateRun };
  burst: {
    baseRate: number;
    burstRate: number;
    seconds: number;
    sent: number;
    accepted: number;
    customerErrors: Record<string, number>;
    postMs: LoadReport['acceptMs'];
    placedToFinalMs: LoadReport['placedToFinalMs'];
    /** From the end of the burst until every accepted order of the burst was final. */
    secondsToDrain: number;
  };
}

export interface CompareReport {
  version: 1;
  generatedAt: string;
  command: string;
  commit: string;
  quick: boolean;
  machine: { cpus: number; model: string; memoryGiB: number; loadAverageAtStart: number[]; shared: boolean };
  plan: Plan;
  results: ModeResult[];
}

interface WorkerRun {
  report: LoadReport;
  startedAt: number;
  settledAt: number;
}

/** One load worker (its own process); resolves with its report. `onStarted` fires when the first order leaves. */
async function runWorker(
  repoRoot: string,
  input: LoadWorkerInput,
  onStarted?: (at: number) => void,
): Promise<WorkerRun> {
  const worker = spawn(process.execPath, [join(repoRoot, 'tools/src/bench/load-worker.ts'), JSON.stringify(input)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let report: LoadReport | undefined;
  let startedAt: number | undefined;
  let settledAt: number | undefined;
  for await (const line of createInterface({ input: worker.stdout })) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line) as LoadWorkerMessage;
    if ('started' in message) {
      startedAt = message.started;
      onStarted?.(message.started);
    } else if ('settled' in message) settledAt = message.settled;
    else if ('report' in message) report = message.report;
  }
  if (report === undefined || startedAt === undefined || settledAt === undefined) {
    throw new Error('a load worker exited without a report');
  }
  return { report, startedAt, settledAt };
}

function rateRun(rate: number, seconds: number, report: LoadReport): RateRun {
  const everyAccepted = report.accepted >= report.sent * 0.99;
  const p99 = report.placedToFinalMs.p99;
  return {
    rate,
    sent: report.sent,
    accepted: report.accepted,
    errors: customerErrors(report),
    acceptedPerSecond: report.accepted / seconds,
    postMs: report.acceptMs,
    placedToFinalMs: report.placedToFinalMs,
    pendingAtEnd: report.completed.pendingAtEnd,
    reconciliationOk: report.reconciliation.ok,
    sustained: everyAccepted && report.reconciliation.ok && p99 !== null && p99 < COMPARE_TARGET_P99_MS,
  };
}

export async function runComparison(
  options: CompareOptions,
): Promise<{ report: CompareReport; path: string; runDir: string }> {
  const { say, repoRoot } = options;
  const plan = options.quick ? QUICK : FULL;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(repoRoot, '.run', 'bench', `compare-${stamp}`);
  const reportDir = join(repoRoot, 'reports', `compare-${stamp}`);
  await mkdir(join(runDir, 'logs'), { recursive: true });
  await mkdir(reportDir, { recursive: true });
  const loadAverageAtStart = loadavg();
  const pgPort = await findFreePortBlock(1);
  say(`compare ${options.modes.join(' vs ')}${options.quick ? ' (quick)' : ''}: private PostgreSQL on ${pgPort}`);
  const postgres = await startPrivatePostgres({ dir: join(runDir, 'pg'), port: pgPort });
  options.cleanups.push(() => postgres.stop());

  let stackNumber = 0;
  const startStack = async (mode: ReservationMode, env: Record<string, string> = {}): Promise<StackProcesses> => {
    stackNumber++;
    const namespace = `cmp${stackNumber}-${Math.random().toString(36).slice(2, 7)}`;
    const connection = {
      bootstrapServers: options.bootstrapServers,
      clientId: 'bench-compare',
      security: options.security,
    };
    const topics = await provisionTopics({ connection, namespace: kafkaNamespace(namespace), apply: true });
    const created = topics.applied.flatMap((a) => (a.kind === 'create' ? [a.topic.name] : []));
    const deleteTopics = async () => {
      const admin = createAdmin(connection);
      await admin.deleteTopics({ topics: created }).catch(() => undefined);
      await admin.close();
    };
    const basePort = await findFreePortBlock(5);
    const stack = await startStackProcesses({
      namespace,
      basePort,
      env: {
        DATABASE_URL: postgres.url,
        KAFKA_BOOTSTRAP_SERVERS: options.bootstrapServers.join(','),
        ...(options.credentialsDir === undefined ? {} : { KAFKA_CREDENTIALS_DIR: options.credentialsDir }),
        ORDER_RESERVATION_MODE: mode,
        INVENTORY_URL: `http://127.0.0.1:${basePort + 2}`,
        ...env,
      },
      output: (label) => openSync(join(runDir, 'logs', `${namespace}-${label}.log`), 'a'),
    });
    options.cleanups.push(async () => {
      await stack.stop();
      await deleteTopics();
    });
    say(
      `  ${mode} stack ${namespace} up on ${basePort + 1}–${basePort + 4}${Object.keys(env).length > 0 ? ` (${JSON.stringify(env)})` : ''}`,
    );
    return stack;
  };
  const load = (stack: StackProcesses, rate: number, durationSeconds: number): LoadWorkerInput => ({
    urls: stack.urls,
    rate,
    durationSeconds,
    drainSeconds: plan.drainSeconds,
    scarceShare: 0.05,
    checkNotifications: false,
  });

  // The modes take turns in every experiment (both stacks up, one loaded at a time), so a change in what
  // else runs on the machine falls on both rather than on whichever mode ran later.
  const stacks = new Map<ReservationMode, StackProcesses>();
  for (const mode of options.modes) stacks.set(mode, await startStack(mode));
  const stackOf = (mode: ReservationMode, from = stacks) => {
    const stack = from.get(mode);
    if (stack === undefined) throw new Error(`no ${mode} stack`);
    return stack;
  };

  // 1. Sweep: each rate in each mode, until a mode no longer sustains it.
  const sweeps = new Map<ReservationMode, RateRun[]>(options.modes.map((mode) => [mode, []]));
  for (const rate of plan.sweep) {
    for (const mode of options.modes) {
      const runs = sweeps.get(mode) ?? [];
      if (runs.some((run) => !run.sustained)) continue;
      const { report } = await runWorker(repoRoot, load(stackOf(mode), rate, plan.seconds));
      const run = rateRun(rate, plan.seconds, report);
      runs.push(run);
      say(
        `  ${mode} ${rate}/s: accepted ${run.accepted}/${run.sent}, POST p50 ${round(run.postMs.p50)} p99 ${round(run.postMs.p99)} ms, placed→final p50 ${run.placedToFinalMs.p50} p99 ${run.placedToFinalMs.p99} ms${run.sustained ? '' : ' (not sustained)'}`,
      );
    }
  }

  // 2. Inventory frozen mid-run.
  const outages = new Map<ReservationMode, ModeResult['outage']>();
  for (const mode of options.modes) {
    const stack = stackOf(mode);
    const inventoryPid = stack.pids.inventory;
    const outage = await runWorker(repoRoot, load(stack, plan.commonRate, plan.outageRunSeconds), (startedAt) => {
      void (async () => {
        await sleep(Math.max(0, startedAt + plan.outageAtSecond * 1_000 - Date.now()));
        process.kill(inventoryPid, 'SIGSTOP');
        say(`  ${mode}: Inventory frozen (SIGSTOP) at ${plan.outageAtSecond} s`);
        await sleep(plan.outageSeconds * 1_000);
        process.kill(inventoryPid, 'SIGCONT');
        say(`  ${mode}: Inventory resumed (SIGCONT) after ${plan.outageSeconds} s`);
      })();
    });
    const during = outage.report.timeline.filter(
      (s) => s.second >= plan.outageAtSecond && s.second < plan.outageAtSecond + plan.outageSeconds,
    );
    const sentDuring = during.reduce((a, s) => a + s.sent, 0);
    const acceptedDuring = during.reduce((a, s) => a + s.accepted, 0);
    // The orders sent before the outage ended: when the last of them was final, counted from its end.
    const outageEndSecond = plan.outageAtSecond + plan.outageSeconds;
    const lastFinal = outage.report.timeline
      .filter((s) => s.second < outageEndSecond)
      .reduce((m, s) => Math.max(m, s.lastFinalSecond ?? 0), 0);
    const result: ModeResult['outage'] = {
      rate: plan.commonRate,
      fromSecond: plan.outageAtSecond,
      seconds: plan.outageSeconds,
      sentDuringOutage: sentDuring,
      acceptedDuringOutage: acceptedDuring,
      acceptedShare: sentDuring === 0 ? 0 : acceptedDuring / sentDuring,
      customerErrors: customerErrors(outage.report),
      secondsToAllFinalAfter: Math.max(0, lastFinal - outageEndSecond),
      lost: outage.report.completed.pendingAtEnd,
      reconciliationOk: outage.report.reconciliation.ok,
      postMs: outage.report.acceptMs,
      placedToFinalMs: outage.report.placedToFinalMs,
    };
    outages.set(mode, result);
    say(
      `  ${mode} outage: accepted ${acceptedDuring}/${sentDuring} during it, errors ${JSON.stringify(result.customerErrors)}, all final ${result.secondsToAllFinalAfter.toFixed(1)} s after, lost ${result.lost}`,
    );
  }

  // 4. Burst: the common rate, plus twice as much again for ten seconds (3× in all).
  const bursts = new Map<ReservationMode, ModeResult['burst']>();
  for (const mode of options.modes) {
    const stack = stackOf(mode);
    const base = runWorker(repoRoot, load(stack, plan.commonRate, plan.burstRunSeconds));
    await sleep(plan.burstAtSecond * 1_000);
    const burst = await runWorker(repoRoot, load(stack, plan.commonRate * 2, plan.burstSeconds));
    const baseRun = await base;
    const result: ModeResult['burst'] = {
      baseRate: plan.commonRate,
      burstRate: plan.commonRate * 3,
      seconds: plan.burstSeconds,
      sent: burst.report.sent + baseRun.report.sent,
      accepted: burst.report.accepted + baseRun.report.accepted,
      customerErrors: mergeCounts(customerErrors(burst.report), customerErrors(baseRun.report)),
      postMs: burst.report.acceptMs,
      placedToFinalMs: burst.report.placedToFinalMs,
      secondsToDrain: Math.max(0, (burst.settledAt - (burst.startedAt + plan.burstSeconds * 1_000)) / 1_000),
    };
    bursts.set(mode, result);
    say(
      `  ${mode} burst: POST p99 ${round(result.postMs.p99)} ms, placed→final p99 ${result.placedToFinalMs.p99} ms, errors ${JSON.stringify(result.customerErrors)}, drained ${result.secondsToDrain.toFixed(1)} s after`,
    );
  }
  for (const stack of stacks.values()) await stack.stop();

  // 3. Inventory slow, on stacks of their own (the delay is a start-up setting).
  const slowStacks = new Map<ReservationMode, StackProcesses>();
  for (const mode of options.modes) {
    slowStacks.set(mode, await startStack(mode, { INVENTORY_RESERVE_DELAY_MS: String(plan.slowDelayMs) }));
  }
  const slows = new Map<ReservationMode, RateRun>();
  for (const mode of options.modes) {
    const slow = await runWorker(repoRoot, load(stackOf(mode, slowStacks), plan.commonRate, plan.seconds));
    const run = rateRun(plan.commonRate, plan.seconds, slow.report);
    slows.set(mode, run);
    say(
      `  ${mode} slow: accepted ${run.accepted}/${run.sent}, POST p50 ${round(run.postMs.p50)} p99 ${round(run.postMs.p99)} ms, placed→final p99 ${run.placedToFinalMs.p99} ms`,
    );
  }
  for (const stack of slowStacks.values()) await stack.stop();

  const results: ModeResult[] = options.modes.map((mode) => {
    const sweep = sweeps.get(mode) ?? [];
    const outage = outages.get(mode);
    const burst = bursts.get(mode);
    const slow = slows.get(mode);
    if (outage === undefined || burst === undefined || slow === undefined)
      throw new Error(`${mode}: an experiment is missing`);
    return {
      mode,
      sweep,
      highestSustainedRate: sweep
        .filter((r) => r.sustained)
        .reduce<number | null>((m, r) => Math.max(m ?? 0, r.rate), null),
      outage,
      slow: { delayMs: plan.slowDelayMs, run: slow },
      burst,
    };
  });
  const report: CompareReport = {
    version: 1,
    generatedAt: new Date().toISOString(),
    command: options.command,
    commit: options.commit,
    quick: options.quick,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: totalmem() / 1024 ** 3,
      loadAverageAtStart,
      // More runnable work than cores before the comparison started: something else was using the machine.
      shared: (loadAverageAtStart[0] ?? 0) > cpus().length * 0.5,
    },
    plan,
    results,
  };
  const path = join(reportDir, 'compare.json');
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return { report, path, runDir };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** What customers saw go wrong: refusals by code, and requests that failed without an answer. */
function customerErrors(report: LoadReport): Record<string, number> {
  const unanswered = Object.entries(report.errors).filter(([kind]) => !kind.startsWith('http-'));
  return { ...report.refusals, ...Object.fromEntries(unanswered) };
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
