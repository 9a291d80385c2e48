import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CpuSample,
  cpuOverWindow,
  EXITED_BACKENDS_GROUP,
  POSTGRES_SERVER_GROUP,
} from '../../src/bench/cpu-attribution.ts';
import { parseMachineStat, parseProcessStat } from '../../src/bench/proc-stat.ts';

function sample(at: number, partial: Partial<CpuSample>): CpuSample {
  return { at, processes: {}, machine: { busyTicks: at / 10, totalTicks: at / 5 }, ...partial };
}

test('fixed-pid processes should count their ticks between the first and last sample in the window', () => {
  const samples = [
    sample(0, { processes: { order: 100 } }),
    sample(1_000, { processes: { order: 110, broker: 50 } }),
    sample(2_000, { processes: { order: 130, broker: 80 } }),
    sample(3_000, { processes: { order: 500, broker: 90 } }),
  ];
  const cpu = cpuOverWindow(samples, 1_000, 2_000);
  assert.deepEqual(cpu?.processes, { order: 20, broker: 30 });
  assert.equal(cpu?.fromAt, 1_000);
  assert.equal(cpu?.toAt, 2_000);
  assert.equal(cpu?.machineBusyTicks, 100);
  assert.equal(cpu?.machineTotalTicks, 200);
});

test('a window with fewer than two samples should give no figure', () => {
  assert.equal(cpuOverWindow([sample(0, {})], 0, 10), undefined);
});

test('backends should be charged to their database, pair by pair, as pools open and close them', () => {
  // Backend 11 (orders) lives throughout; 12 (inventory) is born between the first two samples; 13
  // (payments) exits between the last two (its last slice of 4 ticks shows only in the postmaster's
  // cutime: unattributed); 14 is a background process (no database): the server's.
  const samples: CpuSample[] = [
    sample(0, {
      postgres: {
        postmasterTicks: 10,
        exitedChildrenTicks: 0,
        children: [
          { pid: 11, database: 'orders', ticks: 100 },
          { pid: 13, database: 'payments', ticks: 5 },
          { pid: 14, ticks: 50 },
        ],
      },
    }),
    sample(250, {
      postgres: {
        postmasterTicks: 11,
        exitedChildrenTicks: 0,
        children: [
          { pid: 11, database: 'orders', ticks: 120 },
          // still authenticating: pg_stat_activity did not show its database yet
          { pid: 12, ticks: 3 },
          { pid: 13, database: 'payments', ticks: 9 },
          { pid: 14, ticks: 52 },
        ],
      },
    }),
    sample(500, {
      postgres: {
        postmasterTicks: 11,
        exitedChildrenTicks: 13,
        children: [
          { pid: 11, database: 'orders', ticks: 130 },
          { pid: 12, database: 'inventory', ticks: 10 },
          { pid: 14, ticks: 53 },
        ],
      },
    }),
  ];
  const cpu = cpuOverWindow(samples, 0, 500);
  assert.deepEqual(cpu?.postgres, {
    orders: 30,
    inventory: 10,
    payments: 4,
    [POSTGRES_SERVER_GROUP]: 3 + 1,
    [EXITED_BACKENDS_GROUP]: 4,
  });
  // The total is exact: postmaster + exited children + live children, end minus start.
  assert.equal(cpu?.postgresTotal, 11 + 13 + 130 + 10 + 53 - (10 + 100 + 5 + 50));
});

test('samples outside the window should not count, even for backends born before it', () => {
  const samples: CpuSample[] = [
    sample(0, { postgres: { postmasterTicks: 0, exitedChildrenTicks: 0, children: [] } }),
    sample(1_000, {
      postgres: { postmasterTicks: 0, exitedChildrenTicks: 0, children: [{ pid: 7, database: 'orders', ticks: 40 }] },
    }),
    sample(2_000, {
      postgres: { postmasterTicks: 0, exitedChildrenTicks: 0, children: [{ pid: 7, database: 'orders', ticks: 45 }] },
    }),
  ];
  assert.deepEqual(cpuOverWindow(samples, 1_000, 2_000)?.postgres, { orders: 5 });
  assert.deepEqual(cpuOverWindow(samples, 0, 2_000)?.postgres, { orders: 45 });
});

test('a /proc/<pid>/stat line should parse even when the command name holds spaces and parentheses', () => {
  const fields = ['S', '1', ...Array.from({ length: 9 }, () => '0'), '7', '3', '20', '2', '0', '0', '0', '0', '12345'];
  const stat = parseProcessStat(`42 (postgres: a (b) c) ${fields.join(' ')} 0 0`);
  assert.equal(stat.pid, 42);
  assert.equal(stat.comm, 'postgres: a (b) c');
  assert.equal(stat.ppid, 1);
  assert.equal(stat.ticks, 10);
  assert.equal(stat.childTicks, 22);
  assert.equal(stat.startTicks, 12345);
});

test('/proc/stat should give busy ticks without idle and iowait', () => {
  const stat = parseMachineStat('cpu  100 5 30 1000 20 1 2 3 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n');
  assert.deepEqual(stat, { busyTicks: 141, totalTicks: 1_161 });
});
