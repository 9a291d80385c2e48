import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder, percentile } from '../../src/load/latency-recorder.ts';
import { runOpenModel } from '../../src/load/open-model.ts';

test('percentile should use the nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([], 99), undefined);
});

test('recent percentile should forget samples older than the window', () => {
  const recorder = new LatencyRecorder(1_000);
  recorder.record(900, 0);
  recorder.record(10, 5_000);
  assert.equal(recorder.recentPercentile(99, 5_500), 10);
  assert.equal(recorder.percentile(100), 900);
  assert.deepEqual(recorder.summary(), { count: 2, p50: 10, p95: 900, p99: 900, max: 900 });
});

test('the open model should start requests at the given rate without waiting for earlier ones', async () => {
  const startedAt: number[] = [];
  const begin = performance.now();
  const sent = await runOpenModel({
    rate: 200,
    durationSeconds: 0.5,
    // Requests that never finish must not slow the schedule down.
    fire: (index) => {
      startedAt[index] = performance.now() - begin;
      return new Promise(() => {});
    },
  });
  assert.equal(sent, 100);
  const last = startedAt[99] ?? 0;
  assert.ok(last >= 480 && last < 700, `last request started at ${last.toFixed(0)} ms`);
});
