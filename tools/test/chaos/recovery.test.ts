import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baselineOf, buildTimeline, measureRecovery, type OrderTiming } from '../../src/chaos/recovery.ts';

const START = 1_000_000;
const RATE = 10;

/** RATE orders per second for `seconds`; those placed in [stallFrom, stallTo) settle only at stallTo. */
function orders(seconds: number, stall?: { from: number; to: number }): OrderTiming[] {
  const list: OrderTiming[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < RATE; i++) {
      const createdAtMs = START + s * 1_000 + i * 100;
      const stalled = stall !== undefined && s >= stall.from && s < stall.to;
      list.push({ createdAtMs, settledAtMs: stalled ? START + stall.to * 1_000 + i * 10 : createdAtMs + 50 });
    }
  }
  return list;
}

test('a fault that stops settling for a while recovers when the settled rate is back at the offered rate', () => {
  const timings = orders(60, { from: 20, to: 28 });
  const timeline = buildTimeline(START, 60, new Array(60).fill(RATE), timings);
  const baseline = baselineOf(timeline, timings, START, START + 20_000);
  const recovery = measureRecovery(
    timeline,
    timings,
    START,
    { startedAtMs: START + 20_000, windowEndMs: START + 50_000 },
    baseline,
  );
  assert.equal(recovery.dipped, true);
  // Nothing settles in 20..27; at 28 the whole backlog settles at once.
  assert.ok(
    recovery.settlingResumedSeconds !== null &&
      recovery.settlingResumedSeconds >= 8 &&
      recovery.settlingResumedSeconds <= 10,
    `${recovery.settlingResumedSeconds}`,
  );
  assert.ok(
    recovery.backlogClearedSeconds !== null &&
      recovery.backlogClearedSeconds >= 8 &&
      recovery.backlogClearedSeconds <= 10,
  );
  // Those placed in the stall's last second waited less than the 1 s floor: not counted as affected.
  assert.equal(recovery.ordersAffected, 7 * RATE);
  assert.ok(recovery.peakBacklog >= 7 * RATE);
});

test('a fault the system absorbs is reported as no dip and no affected orders', () => {
  const timings = orders(60);
  const timeline = buildTimeline(START, 60, new Array(60).fill(RATE), timings);
  const baseline = baselineOf(timeline, timings, START, START + 20_000);
  const recovery = measureRecovery(
    timeline,
    timings,
    START,
    { startedAtMs: START + 20_000, windowEndMs: START + 50_000 },
    baseline,
  );
  assert.deepEqual(
    {
      dipped: recovery.dipped,
      resumed: recovery.settlingResumedSeconds,
      cleared: recovery.backlogClearedSeconds,
      affected: recovery.ordersAffected,
    },
    { dipped: false, resumed: 0, cleared: 0, affected: 0 },
  );
});

test('a fault not recovered before the next one starts is reported as not recovered, not as the window', () => {
  const timings = orders(60, { from: 20, to: 45 });
  const timeline = buildTimeline(START, 60, new Array(60).fill(RATE), timings);
  const baseline = baselineOf(timeline, timings, START, START + 20_000);
  const recovery = measureRecovery(
    timeline,
    timings,
    START,
    { startedAtMs: START + 20_000, windowEndMs: START + 35_000 },
    baseline,
  );
  assert.equal(recovery.settlingResumedSeconds, null);
  assert.equal(recovery.backlogClearedSeconds, null);
});
