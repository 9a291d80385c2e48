import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LagStatus } from '../../src/lag/burrow-status.ts';
import { formatDuration, formatLagTable, LAG_COLUMNS, lagToJson } from '../../src/lag/lag-format.ts';
import type { GroupLag, PartitionLag } from '../../src/lag/lag-reader.ts';

const READ_AT = Date.parse('2026-01-02T03:04:05.000Z');

function partition(overrides: Partial<PartitionLag> & { partition: number }): PartitionLag {
  return {
    topic: 'orders',
    committedOffset: 10n,
    logStartOffset: 0n,
    logEndOffset: 10n,
    lag: 0n,
    timeLagMs: 0,
    timeLagSource: 'caught-up',
    ...overrides,
  };
}

const GROUPS: GroupLag[] = [
  {
    group: 'billing',
    state: 'Stable',
    members: 1,
    readAt: READ_AT,
    partitions: [
      partition({ partition: 0 }),
      partition({ partition: 1, committedOffset: 5n, lag: 5n, timeLagMs: 125_000, timeLagSource: 'record' }),
      partition({ partition: 2, committedOffset: 1n, lag: 9n, timeLagMs: 7_200_000, timeLagSource: 'log-start' }),
      partition({
        partition: 3,
        committedOffset: undefined,
        lag: undefined,
        timeLagMs: undefined,
        timeLagSource: 'none',
      }),
    ],
  },
  {
    group: 'broken',
    state: 'Unknown',
    members: 0,
    readAt: READ_AT,
    partitions: [],
    error: 'coordinator not available',
  },
];
const STATUSES = new Map<string, LagStatus>([['billing', 'WARN']]);

test('formatDuration should print milliseconds, seconds, minutes and hours in a short column', () => {
  assert.deepEqual([850, 12_340, 602_000, 11_100_000].map(formatDuration), ['850ms', '12.3s', '10m02s', '3h05m']);
});

test('the lag table should have the kafka-consumer-groups columns then TIME-LAG and STATUS, aligned', () => {
  const lines = formatLagTable(GROUPS, STATUSES).trimEnd().split('\n');
  assert.deepEqual(lines[0]?.split(/\s+/), [...LAG_COLUMNS]);
  assert.deepEqual(
    lines.slice(1).map((line) => line.split(/\s+/)),
    [
      ['billing', 'orders', '0', '10', '10', '0', '0ms', 'WARN'],
      ['billing', 'orders', '1', '5', '10', '5', '2m05s', 'WARN'],
      ['billing', 'orders', '2', '1', '10', '9', '>=2h00m', 'WARN'],
      ['billing', 'orders', '3', '-', '10', '-', '-', 'WARN'],
      ['broken', '-', '-', '-', '-', '-', '-', 'ERR'],
      ['error:', 'broken:', 'coordinator', 'not', 'available'],
    ],
  );
  // Columns line up: every row puts its STATUS where the header has it.
  const statusColumn = lines[0]?.indexOf('STATUS');
  for (const line of lines.slice(1, 6)) assert.equal(line.search(/(WARN|ERR)$/), statusColumn);
});

test('the lag table should print n/a as the status of a group without one', () => {
  assert.match(formatLagTable(GROUPS.slice(0, 1), new Map()), /0ms +n\/a\n/);
});

test('lag JSON should carry offsets as decimal strings and nulls where kafka-consumer-groups prints dashes', () => {
  const [billing, broken] = lagToJson(GROUPS, STATUSES) as Record<string, unknown>[];
  assert.equal(billing?.status, 'WARN');
  assert.equal(billing?.readAt, '2026-01-02T03:04:05.000Z');
  const partitions = billing?.partitions as Record<string, unknown>[];
  assert.deepEqual(partitions[1], {
    topic: 'orders',
    partition: 1,
    committedOffset: '5',
    logStartOffset: '0',
    logEndOffset: '10',
    lag: '5',
    timeLagMs: 125_000,
    timeLagSource: 'record',
  });
  assert.deepEqual([partitions[3]?.committedOffset, partitions[3]?.lag, partitions[3]?.timeLagMs], [null, null, null]);
  assert.deepEqual([broken?.status, broken?.error], ['ERR', 'coordinator not available']);
});
