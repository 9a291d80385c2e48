import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { EVENT_LOOP_BUSY_METRIC, registerEventLoopBusy } from '../../src/metrics/event-loop.ts';

async function busySeconds(registry: Registry): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((each) => each.name === EVENT_LOOP_BUSY_METRIC);
  const value = metric?.values[0]?.value;
  assert.equal(typeof value, 'number', `${EVENT_LOOP_BUSY_METRIC} exported`);
  return value as number;
}

test('the event-loop busy counter should grow by the time the loop ran code, and not while it sat idle', async () => {
  // The loop starts after the test file's top level: utilisation counts from then.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const registry = new Registry();
  registerEventLoopBusy(registry);
  const before = await busySeconds(registry);
  const spinUntil = performance.now() + 300;
  while (performance.now() < spinUntil) {
    // Keeps the loop busy, as a handler that cannot keep up would.
  }
  // Utilisation is accounted when the loop turns: let it turn once.
  await new Promise((resolve) => setImmediate(resolve));
  const afterBusy = await busySeconds(registry);
  assert.ok(afterBusy - before >= 0.25, `grew ${(afterBusy - before).toFixed(3)} s over 0.3 s of work`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const afterIdle = await busySeconds(registry);
  assert.ok(afterIdle - afterBusy < 0.1, `grew ${(afterIdle - afterBusy).toFixed(3)} s over 0.3 s idle`);
});

test("two registries should report the same busy time, the process's", async () => {
  // One counter per registry: a second registry counts from the same process start.
  const first = new Registry();
  const second = new Registry();
  registerEventLoopBusy(first);
  registerEventLoopBusy(second);
  const [a, b] = [await busySeconds(first), await busySeconds(second)];
  assert.ok(a > 0 && b > 0);
  assert.ok(Math.abs(a - b) < 0.05, `two registries agree (${a}, ${b})`);
});
