import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuPerOrder,
  isSustained,
  nextSearchRate,
  settledInWindow,
  statementsPerOrder,
  warmupSeconds,
} from '../../src/bench/bench-report.ts';
import { POSTGRES_SERVER_GROUP } from '../../src/bench/cpu-attribution.ts';
import { CLOCK_TICKS_PER_SECOND } from '../../src/bench/proc-stat.ts';
import { statementsDelta } from '../../src/bench/statements.ts';

const held = (rate: number) => ({ rate, sustained: true });
const failed = (rate: number) => ({ rate, sustained: false });

test('the search should bisect between the highest sustained rate and the lowest failed one above it', () => {
  assert.equal(nextSearchRate([held(100), held(200), held(300), failed(500), failed(700)]), 400);
  assert.equal(nextSearchRate([held(300), held(400), failed(500)]), 450);
  assert.equal(nextSearchRate([held(300), held(450), failed(500)]), 480);
  // known to SEARCH_RESOLUTION: stop
  assert.equal(nextSearchRate([held(480), failed(490)]), undefined);
});

test('the search should go above the sweep when nothing failed, and below it when nothing held', () => {
  assert.equal(nextSearchRate([held(100), held(200)]), 300);
  assert.equal(nextSearchRate([failed(100), failed(200)]), 50);
  assert.equal(nextSearchRate([]), undefined);
});

test('the search should ignore a failure below the highest sustained rate (noise), not stop on it', () => {
  assert.equal(nextSearchRate([held(100), failed(200), held(300), failed(500)]), 400);
});

test('a rate should count as sustained only with p99 under 1 s, every order accepted and a clean reconciliation', () => {
  const ok = {
    accepted: 600,
    rejected503: 0,
    otherErrors: {},
    reconciliation: { ok: true, summary: '' },
    placedToFinalMs: { count: 600, p50: 100, p95: 300, p99: 999, max: 1_500 },
  };
  assert.equal(isSustained(ok), true);
  assert.equal(isSustained({ ...ok, placedToFinalMs: { ...ok.placedToFinalMs, p99: 1_000 } }), false);
  assert.equal(isSustained({ ...ok, rejected503: 1 }), false);
  assert.equal(isSustained({ ...ok, otherErrors: { timeout: 1 } }), false);
  assert.equal(isSustained({ ...ok, reconciliation: { ok: false, summary: 'x' } }), false);
});

test('the steady-state window should skip a fifth of the run, 2 to 10 seconds', () => {
  assert.equal(warmupSeconds(60), 10);
  assert.equal(warmupSeconds(20), 4);
  assert.equal(warmupSeconds(5), 2);
  const timeline = [0, 1, 2, 3, 4].map((second) => ({ second, completed: 10 + second }));
  assert.equal(settledInWindow(timeline, 2, 4), 12 + 13);
});

test('CPU per order should divide each component by the settled orders and sum the stack without the generator', () => {
  const seconds = 10;
  const hz = CLOCK_TICKS_PER_SECOND;
  const result = cpuPerOrder(
    {
      fromAt: 0,
      toAt: seconds * 1_000,
      processes: { order: hz, broker: hz / 2, generator: hz },
      postgres: { bench_x_orders: hz, [POSTGRES_SERVER_GROUP]: hz / 4 },
      postgresTotal: (hz * 5) / 4,
      machineBusyTicks: hz * 5,
      machineTotalTicks: hz * 20,
    },
    1_000,
    { bench_x_orders: 'orders' },
  );
  assert.deepEqual(result.cpuMsPerOrder?.processes, { order: 1, broker: 0.5, generator: 1 });
  assert.deepEqual(result.cpuMsPerOrder?.postgres, { orders: 1, [POSTGRES_SERVER_GROUP]: 0.25 });
  assert.equal(result.cpuMsPerOrder?.stack, 1 + 0.5 + 1.25);
  assert.equal(result.cpuMsPerOrder?.machine, 5);
  assert.equal(result.coresBusy?.machine, 0.5);
  assert.equal(
    cpuPerOrder(
      { fromAt: 0, toAt: 1, processes: {}, postgres: {}, postgresTotal: 0, machineBusyTicks: 0, machineTotalTicks: 0 },
      0,
      {},
    ).cpuMsPerOrder,
    null,
  );
});

test('statements per order should count calls, time and rows between snapshots, a statement first seen in between whole', () => {
  const before = [{ database: 'bench_x_orders', queryId: '1', query: 'BEGIN', calls: 100, totalMs: 1, rows: 0 }];
  const after = [
    { database: 'bench_x_orders', queryId: '1', query: 'BEGIN', calls: 300, totalMs: 3, rows: 0 },
    { database: 'bench_x_orders', queryId: '2', query: 'insert  into\n outbox', calls: 100, totalMs: 50, rows: 900 },
    { database: 'bench_x_payments', queryId: '1', query: 'BEGIN', calls: 50, totalMs: 1, rows: 0 },
    {
      database: 'bench_x_orders',
      queryId: '3',
      query: 'SELECT 1 FROM ONLY "public"."orders" x WHERE "id" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x',
      calls: 40,
      totalMs: 4,
      rows: 40,
    },
  ];
  const delta = statementsDelta(before, after);
  assert.deepEqual(delta.perDatabase, { bench_x_orders: 300, bench_x_payments: 50 });
  // PostgreSQL's own foreign-key checks are no statement a service sent: apart.
  assert.deepEqual(delta.foreignKeyChecks, { bench_x_orders: 40 });
  // Most time first: the insert (50 ms over the window) before the more frequent BEGIN (2 ms).
  assert.equal(delta.top[0]?.query, 'insert into outbox');
  assert.deepEqual(delta.execMsPerDatabase, { bench_x_orders: 56, bench_x_payments: 1 });
  const perOrder = statementsPerOrder(delta, 100, { bench_x_orders: 'orders', bench_x_payments: 'payments' });
  assert.deepEqual(perOrder?.perDatabase, { orders: 3, payments: 0.5 });
  assert.equal(perOrder?.total, 3.5);
  assert.equal(perOrder?.foreignKeyChecks, 0.4);
  assert.deepEqual(perOrder?.top[0], {
    database: 'orders',
    query: 'insert into outbox',
    callsPerOrder: 1,
    execMsPerOrder: 0.5,
    rowsPerOrder: 9,
  });
  assert.equal(perOrder?.top[1]?.callsPerOrder, 2);
  assert.deepEqual(perOrder?.execMsPerDatabase, { orders: 0.56, payments: 0.01 });
  assert.equal(statementsPerOrder(delta, 0, {}), null);
});
