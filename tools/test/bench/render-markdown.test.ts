import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchReport, type RateResult, SUSTAINED_CRITERION } from '../../src/bench/bench-report.ts';
import { EXITED_BACKENDS_GROUP, POSTGRES_SERVER_GROUP } from '../../src/bench/cpu-attribution.ts';
import { DOCS_CHART, HISTORY_DOC, renderBenchMarkdown } from '../../src/bench/render-markdown.ts';
import { renderSweepChart } from '../../src/bench/sweep-chart.ts';

function run(rate: number, overrides: Partial<RateResult> = {}): RateResult {
  const perOrder = {
    processes: {
      order: 0.8,
      inventory: 0.4,
      payment: 0.3,
      notification: 0.2,
      broker: 0.5,
      generator: 0.15,
      bench: 0.01,
    },
    postgres: {
      orders: 0.6,
      inventory: 0.3,
      payments: 0.2,
      notifications: 0.1,
      [POSTGRES_SERVER_GROUP]: 0.05,
      [EXITED_BACKENDS_GROUP]: 0.01,
    },
    postgresTotal: 1.26,
    stack: 3.46,
    machine: 3.9,
  };
  return {
    rate,
    phase: 'sweep',
    durationSeconds: 60,
    sent: rate * 60,
    accepted: rate * 60,
    rejected503: 0,
    otherErrors: {},
    acceptedPerSecond: rate,
    settledPerSecond: rate - 0.5,
    settled: { confirmed: rate * 57, cancelled: rate * 3, pendingAtEnd: 0 },
    placedToFinalMs: { count: rate * 60, p50: 120, p95: 400, p99: 800, max: 1_234 },
    acceptMs: { count: rate * 60, p50: 5, p95: 9, p99: 20, max: 40 },
    reconciliation: { ok: true, summary: `${rate * 60} orders` },
    window: { fromSecond: 10, toSecond: 60, orders: rate * 50 },
    cpuMsPerOrder: perOrder,
    eventLoopBusy: { order: 0.624, inventory: 0.2, payment: 0.11, notification: 0.09 },
    walPerOrder: { records: 31.25, fullPageImages: 0.75, bytes: 6_144 },
    coresBusy: { processes: { order: 0.08 }, postgresTotal: 0.126, machine: 0.39 },
    statementsPerOrder: {
      perDatabase: { orders: 6, inventory: 3, payments: 2.5, notifications: 2 },
      total: 13.5,
      foreignKeyChecks: 2.25,
      top: [{ database: 'orders', query: 'select a | b from `t`', callsPerOrder: 1.25 }],
    },
    wholeRun: { seconds: 61, orders: rate * 60, cpuMsPerOrder: { ...perOrder, stack: 3.5 }, statementsPerOrder: null },
    sustained: true,
    loadReport: `reports/bench-x/load-${rate}rps-sweep.json`,
    ...overrides,
  };
}

const report: BenchReport = {
  version: 1,
  generatedAt: '2026-12-01T20:00:00.000Z',
  command: 'npm run bench',
  commit: '0123456789abcdef0123456789abcdef01234567',
  dirty: false,
  machine: { cpus: 2, model: 'Test CPU', memoryGiB: 24, kernel: 'Linux 6.1', loadAverageAtStart: [0.5, 0.4, 0.3] },
  software: { node: 'Node.js v24.21.0', postgres: 'postgres (PostgreSQL) 15.20', kafka: '4.2.0' },
  settings: {
    rates: [100, 200, 300, 500, 700],
    durationSeconds: 60,
    warmupSeconds: 10,
    drainSeconds: 60,
    quick: false,
    searchSteps: 3,
    targetP99Ms: 1_000,
    postgres: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_connections: '200', port: '1' },
    kafka: { bootstrapServers: ['localhost:9092'], broker: 'already running', replicationFactor: 1 },
  },
  ceilings: {
    pgbench: {
      clients: 8,
      seconds: 10,
      rowsPerCommit: 1,
      transactions: 25_000,
      commitsPerSecond: 2_500,
      rowsPerSecond: 2_500,
      postgresCpuUsPerCommit: 180,
      postgresCpuUsPerRow: 180,
      machineCpuUsPerCommit: 400,
    },
    pgbenchBatched: {
      clients: 8,
      seconds: 5,
      rowsPerCommit: 100,
      transactions: 1_000,
      commitsPerSecond: 200,
      rowsPerSecond: 20_000,
      postgresCpuUsPerCommit: 900,
      postgresCpuUsPerRow: 9,
      machineCpuUsPerCommit: 1_000,
    },
    producer: {
      records: 500_000,
      recordBytes: 400,
      partitions: 6,
      replicationFactor: 1,
      recordsPerSecond: 150_000,
      mbPerSecond: 57.2,
      avgLatencyMs: 20,
      p99LatencyMs: 80,
      brokerCpuUsPerRecord: 2.5,
      summary: '500000 records sent',
    },
    idleLatency: { orders: 5, placedToFinalMs: [60, 55, 70, 58, 61], medianMs: 60 },
  },
  runs: [
    run(100),
    run(500, {
      sustained: false,
      rejected503: 7,
      reconciliation: { ok: false, summary: '3 order(s) not final after the drain' },
      placedToFinalMs: { count: 100, p50: 900, p95: 4_000, p99: 9_000, max: 12_000 },
    }),
    run(300, { phase: 'search' }),
  ],
  highestSustainable: { rate: 300, searchSteps: 1, criterion: SUSTAINED_CRITERION },
};

test('the benchmark page should carry the ceilings, per-rate figures, CPU and statements from the report', () => {
  const md = renderBenchMarkdown(report, 'reports/bench-x/bench.json');
  assert.match(md, /^# Benchmarks\n/);
  assert.match(md, /`npm run bench` at commit `0123456789abcdef0123456789abcdef01234567`/);
  assert.match(md, /\*\*300 orders\/s\*\* — p99 placed→final < 1000 ms/);
  assert.match(md, /100\/s ✓, 500\/s ✗, 300\/s ✓/);
  // ceilings, with their floors per unit
  assert.match(md, /\*\*2,500 commits\/s\*\* \| 180 µs PostgreSQL CPU per commit/);
  assert.match(md, /\*\*20,000 rows\/s\*\* \| 9\.0 µs PostgreSQL CPU per row/);
  assert.match(md, /\*\*150,000 records\/s\*\*/);
  assert.match(md, /2\.5 µs broker CPU per record/);
  assert.match(md, /\*\*60 ms\*\* median/);
  // per rate
  assert.match(
    md,
    /\| 500\/s \| 30,000 \| 500\.0 \| 499\.5 \| 7 \| 900 \/ 4,000 \/ 9,000 \/ 12,000 \| \*\*failed\*\*: 3 order\(s\) not final after the drain \| no \|/,
  );
  assert.match(md, /\| 300\/s \(search\) \|/);
  // CPU per component, beside the ceilings' floors
  assert.match(md, /\| Order Service \| 0\.80 \| 0\.80 \| 0\.80 \| {2}\|/);
  assert.match(md, /\| PostgreSQL, database orders \| 0\.60 \| 0\.60 \| 0\.60 \|/);
  assert.match(md, /\| PostgreSQL, postgres \(server\) \| 0\.05 /);
  assert.match(
    md,
    /\| \*\*PostgreSQL, all\*\* \| \*\*1\.26\*\* .* \| 180 µs per single-row commit, 9\.0 µs per batched row \|/,
  );
  assert.match(md, /\| \*\*stack: services \+ broker \+ PostgreSQL\*\* \| \*\*3\.46\*\* /);
  assert.match(md, /\| stack, whole run .* \| 3\.50 \| 3\.50 \| 3\.50 \|/);
  assert.match(md, /2 cores = 4\.0 ms per order at 500\/s/);
  assert.match(
    md,
    /\| event loops busy, % \(order \/ inventory \/ payment \/ notification\) \| 62 \/ 20 \/ 11 \/ 9 \|/,
  );
  // statements per order, and the busiest run's top statements with table-safe text
  assert.match(md, /\| orders \| 6\.0 \| 6\.0 \| 6\.0 \|/);
  assert.match(md, /\| \*\*all four databases\*\* \(target ≤ 15\) \| \*\*13\.5\*\* /);
  assert.match(md, /\| all four, whole run .* \| — \| — \| — \|/);
  assert.match(md, /\| foreign-key checks PostgreSQL ran inside them \(not counted above\) \| 2\.3 \| 2\.3 \| 2\.3 \|/);
  assert.match(md, /\| WAL records written \(pg_stat_wal, the whole server\) \| 31\.3 \| 31\.3 \| 31\.3 \|/);
  assert.match(md, /\| of which full-page images \| 0\.8 \| 0\.8 \| 0\.8 \|/);
  assert.match(md, /\| WAL kB written \| 6\.0 \| 6\.0 \| 6\.0 \|/);
  assert.match(md, /\(a broker that was already running: its other clients count too\)/);
  assert.match(md, /\| orders \| `select a \\\| b from 't'` \| 1\.25 \|/);
  // reproducible: the command and where the chart and history live
  assert.match(md, /```sh\nnpm ci && npm run bench\n```/);
  assert.ok(md.includes(`](${DOCS_CHART})`));
  assert.ok(md.includes(`](${HISTORY_DOC})`));
  assert.doesNotMatch(md, /\*\*Note:\*\*/);
});

test('a quick or dirty run should say so on the page', () => {
  const md = renderBenchMarkdown(
    { ...report, dirty: true, settings: { ...report.settings, quick: true, rates: [50, 100], durationSeconds: 10 } },
    'r.json',
  );
  assert.match(md, /\*\*Note:\*\* a `--quick` run .*; the worktree had uncommitted changes\./);
});

test('the sweep chart should plot every rate tried and the target', () => {
  const svg = renderSweepChart(report);
  assert.match(svg, /^<svg /);
  for (const label of ['100/s', '300/s*', '500/s']) assert.ok(svg.includes(`>${label}</text>`), label);
  assert.match(svg, /target p99 1000 ms/);
  assert.match(svg, /highest sustainable rate 300\/s/);
});
