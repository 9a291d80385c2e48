import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_STOP_AFTER_MS,
  type GroupSample,
  partitionStatus,
  StatusWindow,
  worstStatus,
} from '../../src/lag/burrow-status.ts';

const KEY = 'orders/0';
const INTERVAL_MS = 2_000;
const START = 1_700_000_000_000;

/** A window fed one sample per INTERVAL_MS with these [committed, lag] points for KEY (null: no commit). */
function windowOf(
  points: readonly ([number, number] | null)[],
  options: { members?: number; stopAfterMs?: number; windowSamples?: number; minSamples?: number } = {},
): StatusWindow {
  const window = new StatusWindow(options);
  points.forEach((point, i) => {
    window.add(sample(i, point, options.members ?? 1));
  });
  return window;
}

function sample(i: number, point: [number, number] | null, members: number): GroupSample {
  return {
    at: START + i * INTERVAL_MS,
    members,
    partitions: new Map([
      [
        KEY,
        point === null
          ? { committedOffset: undefined, lag: undefined }
          : { committedOffset: BigInt(point[0]), lag: BigInt(point[1]) },
      ],
    ]),
  };
}

test('status should be OK when the latest lag is 0, whatever the history', () => {
  assert.equal(
    windowOf([
      [0, 50],
      [10, 80],
      [100, 0],
    ]).status().status,
    'OK',
  );
});

test('status should be OK when the consumer commits and lag shrinks or holds', () => {
  assert.equal(
    windowOf([
      [0, 10],
      [10, 12],
      [20, 8],
      [30, 9],
    ]).status().status,
    'OK',
  );
});

test('status should be WARN when commits move but lag grows between every pair of samples', () => {
  const status = windowOf([
    [0, 5],
    [3, 9],
    [6, 9],
    [9, 14],
  ]).status();
  assert.equal(status.status, 'WARN');
  assert.match(status.partitions[0]?.reason ?? '', /growing/);
});

test('status should not be WARN when lag ends where it started', () => {
  assert.equal(
    windowOf([
      [0, 5],
      [3, 5],
      [6, 5],
    ]).status().status,
    'OK',
  );
});

test('status should be STALL when the committed offset does not move while lag > 0 and members are present', () => {
  assert.equal(
    windowOf([
      [7, 3],
      [7, 5],
      [7, 6],
    ]).status().status,
    'STALL',
  );
});

test('status should be STOP when the committed offset does not move over the window and the group has no members', () => {
  assert.equal(
    windowOf(
      [
        [7, 3],
        [7, 5],
        [7, 6],
      ],
      { members: 0 },
    ).status().status,
    'STOP',
  );
});

test('status should be STOP when no commit happened for longer than stopAfterMs, even beyond the window', () => {
  // The window holds 3 samples, but the offset has been 7 since the first of 10: 18 s without a commit.
  const points: [number, number][] = Array.from({ length: 10 }, (_, i) => [7, 3 + i]);
  const stopAfterMs = 10_000;
  assert.equal(windowOf(points, { windowSamples: 3, stopAfterMs }).status().status, 'STOP');
  assert.equal(windowOf(points.slice(0, 5), { windowSamples: 3, stopAfterMs }).status().status, 'STALL');
});

test('status should go WARN then STOP when the consumer stops while records keep arriving', () => {
  const window = new StatusWindow({ windowSamples: 4, stopAfterMs: 8_000 });
  const seen: string[] = [];
  // Consuming slower than producing, then the consumer stops at offset 9 and leaves the group.
  const points: [number, number, number][] = [
    [0, 5, 1],
    [3, 9, 1],
    [6, 12, 1],
    [9, 15, 1],
    [9, 18, 0],
    [9, 21, 0],
    [9, 24, 0],
    [9, 27, 0],
  ];
  points.forEach(([committed, lag, members], i) => {
    window.add(sample(i, [committed, lag], members));
    seen.push(window.status().status);
  });
  assert.deepEqual(seen, ['UNKNOWN', 'UNKNOWN', 'WARN', 'WARN', 'WARN', 'WARN', 'STOP', 'STOP']);
});

test('status should be ERR when the latest sample could not read the offsets', () => {
  const window = windowOf([
    [0, 0],
    [1, 0],
  ]);
  window.add({ at: START + 10 * INTERVAL_MS, members: undefined, partitions: new Map(), error: 'coordinator down' });
  assert.equal(window.status().status, 'ERR');
});

test('status should be UNKNOWN with too few samples to judge a lagging partition', () => {
  assert.equal(
    windowOf([
      [0, 5],
      [3, 9],
    ]).status().status,
    'UNKNOWN',
  );
  assert.equal(windowOf([]).status().status, 'UNKNOWN');
});

test('status should ignore a partition the group never committed', () => {
  const window = new StatusWindow();
  for (let i = 0; i < 3; i++) {
    window.add({
      at: START + i * INTERVAL_MS,
      members: 1,
      partitions: new Map([
        ['t/0', { committedOffset: BigInt(i), lag: 0n }],
        ['t/1', { committedOffset: undefined, lag: undefined }],
      ]),
    });
  }
  assert.deepEqual(window.status(), { status: 'OK', partitions: [{ key: 't/0', status: 'OK', reason: 'caught up' }] });
});

test('the group status should be the worst of its partitions', () => {
  assert.equal(worstStatus(['OK', 'WARN', 'STALL', 'OK']), 'STALL');
  assert.equal(worstStatus(['STOP', 'ERR']), 'ERR');
  assert.equal(worstStatus([]), 'OK');
});

test('partition status should use the default stop delay when none is given', () => {
  const point = { committedOffset: 4n, lag: 2n };
  const now = START + DEFAULT_STOP_AFTER_MS;
  assert.equal(partitionStatus(KEY, [point, point, point], 1, START, now).status, 'STOP');
  assert.equal(partitionStatus(KEY, [point, point, point], 1, START, now - 1).status, 'STALL');
});
