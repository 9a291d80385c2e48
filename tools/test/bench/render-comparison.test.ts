import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompareReport, ModeResult, RateRun } from '../../src/bench/compare.ts';
import { renderComparisonChart, renderComparisonMarkdown } from '../../src/bench/render-comparison.ts';

const latency = (p50: number, p99: number) => ({ count: 100, p50, p90: p99, p95: p99, p99, max: p99, mean: p50 });

function run(rate: number, postP99: number, finalP99: number): RateRun {
  return {
    rate,
    sent: rate * 10,
    accepted: rate * 10,
    errors: {},
    acceptedPerSecond: rate,
    postMs: latency(postP99 / 2, postP99),
    placedToFinalMs: latency(finalP99 / 2, finalP99),
    pendingAtEnd: 0,
    reconciliationOk: true,
    sustained: true,
  };
}

function mode(name: 'rest' | 'kafka', postP99: number, accepted: number): ModeResult {
  return {
    mode: name,
    sweep: [run(20, postP99, 400)],
    highestSustainedRate: 20,
    outage: {
      rate: 20,
      fromSecond: 5,
      seconds: 10,
      sentDuringOutage: 200,
      acceptedDuringOutage: accepted,
      acceptedShare: accepted / 200,
      customerErrors: accepted === 200 ? {} : { ORD_INVENTORY_UNAVAILABLE: 200 - accepted },
      secondsToAllFinalAfter: 3.5,
      lost: 0,
      reconciliationOk: true,
      postMs: latency(10, 20),
      placedToFinalMs: latency(100, 200),
    },
    slow: { delayMs: 200, run: run(20, postP99 + 200, 900) },
    burst: {
      baseRate: 20,
      burstRate: 60,
      seconds: 10,
      sent: 800,
      accepted: 800,
      customerErrors: {},
      postMs: latency(10, 20),
      placedToFinalMs: latency(100, 200),
      secondsToDrain: 2,
    },
  };
}

const report = {
  version: 1,
  generatedAt: '2026-01-01T00:00:00.000Z',
  command: 'npm run bench -- --compare rest,kafka --quick --write-docs',
  commit: '0123456789abcdef',
  quick: true,
  machine: { cpus: 2, model: 'test cpu', memoryGiB: 8, loadAverageAtStart: [5, 5, 5], shared: true },
  plan: {
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
  },
  results: [mode('rest', 31.6, 12), mode('kafka', 12.2, 200)],
} satisfies CompareReport;

test('the comparison page shows each experiment side by side with the figures of the report, rounded', () => {
  const page = renderComparisonMarkdown(report, 'reports/compare-x/compare.json');
  assert.match(page, /\| \| REST \| KAFKA \|/);
  assert.match(page, /\| POST p50 \/ p99 at 20\/s \| 16 ms \/ 32 ms \| 6 ms \/ 12 ms \|/);
  assert.match(page, /\| orders accepted during the outage \| 12 \/ 200 \(6 %\) \| 200 \/ 200 \(100 %\) \|/);
  assert.match(page, /188 × ORD_INVENTORY_UNAVAILABLE/);
  assert.match(page, /reports\/compare-x\/compare\.json/);
});

test('the comparison page says when the machine was shared and when the run was the quick form', () => {
  const page = renderComparisonMarkdown(report, 'r.json');
  assert.match(page, /machine was shared/);
  assert.match(page, /`--quick` form/);
  const unshared = renderComparisonMarkdown(
    { ...report, quick: false, machine: { ...report.machine, shared: false } },
    'r.json',
  );
  assert.doesNotMatch(unshared, /machine was shared|This is the `--quick` form/);
});

test('the chart has one bar per mode and measure', () => {
  const svg = renderComparisonChart(report);
  assert.equal((svg.match(/<rect /g) ?? []).length, 6);
  assert.match(svg, /rest POST p99/);
});
