/**
 * The lag monitor's acceptance: the Notification Service stopped while orders flow. The lag monitor (the class
 * `npm start` runs, with a short poll and window) must show its group WARN, then STOP once the window's
 * duration has passed without a commit, with a time lag that keeps growing and never exceeds the age of the
 * oldest record the stack wrote; after a restart
 * the lag returns to 0 and the status to OK.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { topic } from '@shop/contracts';
import { eventually } from '@shop/test-support';
import {
  driveOrders,
  type GroupView,
  groupView,
  scrape,
  startLagMonitor,
  startLagStack,
} from '../../scripts/scenarios/scenario-support.ts';

const POLL_INTERVAL_MS = 500;
/** 10 polls: a 5 s window, and STOP after 5 s without progress (the monitor's default rule). */
const WINDOW_SAMPLES = 10;
const WINDOW_MS = POLL_INTERVAL_MS * WINDOW_SAMPLES;
const ORDERS_PER_SECOND = 10;
/** How often the test reads the monitor's /metrics: faster than it polls, so no status is missed. */
const SCRAPE_EVERY_MS = 200;
/** Time lag is measured over this stretch of the outage. */
const CLOCK_STRETCH_MS = 4_000;
const MS_PER_S = 1_000;
/** Polls the group must read OK before the stop (more than the monitor's fewest samples to judge). */
const SETTLED_POLLS = 4;
/** Partitions of the order-outcomes topic (the catalog's). */
const PARTITIONS = topic('orderOutcomes').partitions;

interface Reading {
  at: number;
  view: GroupView;
}

test('Notification Service stopped while orders flow: WARN then STOP, time lag growing with the clock; after a restart lag 0 and OK', async (t) => {
  const stack = await startLagStack(t);
  const monitor = await startLagMonitor(t, stack.namespace, {
    pollIntervalMs: POLL_INTERVAL_MS,
    status: { windowSamples: WINDOW_SAMPLES },
  });
  const read = async (): Promise<Reading> => ({
    at: Date.now(),
    view: groupView(await scrape(monitor.url), monitor.group),
  });
  // Every record of the group's topic is written after this, so no time lag the monitor reports can exceed
  // the time since: a bound that holds however late the monitor's polls run on a busy machine.
  const drivenAt = Date.now();
  const driver = await driveOrders(stack, ORDERS_PER_SECOND);

  // Consuming: the group has committed every partition, has its member, and keeps up.
  const consuming = (view: GroupView): boolean =>
    view.status === 'OK' && view.members === 1 && view.lagByPartition.size === PARTITIONS;
  await eventually(async () => (consuming((await read()).view) ? true : undefined), 30_000, 'notify-customers OK');
  // And has done so for a few polls: a partition whose only commit is in the latest sample has too little
  // history for every rule, so the stop must not come before the window holds more than that.
  let consumingSince = Date.now();
  await eventually(
    async () => {
      if (!consuming((await read()).view)) consumingSince = Date.now();
      if (Date.now() - consumingSince >= SETTLED_POLLS * POLL_INTERVAL_MS) return true;
      await sleep(SCRAPE_EVERY_MS);
      return undefined;
    },
    30_000,
    `notify-customers OK for ${SETTLED_POLLS} polls`,
  );

  const stoppedAt = Date.now();
  await stack.stopNotification('SIGTERM');
  const afterStop: Reading[] = [];
  const firstStop = await eventually(
    async () => {
      const reading = await read();
      afterStop.push(reading);
      if (reading.view.status === 'STOP') return reading;
      await sleep(SCRAPE_EVERY_MS);
      return undefined;
    },
    30_000,
    'status STOP',
  );
  const statuses = afterStop.map((reading) => reading.view.status);
  const firstWarn = statuses.indexOf('WARN');
  assert.ok(firstWarn >= 0 && firstWarn < statuses.indexOf('STOP'), `WARN before STOP: ${statuses.join(' ')}`);
  assert.deepEqual(
    [...new Set(statuses)].filter((status) => !['OK', 'WARN', 'STOP'].includes(status)),
    [],
    `only OK (before the first poll after the stop), WARN and STOP: ${statuses.join(' ')}`,
  );
  // STOP is the window's duration without progress; the last progress was at most a poll before the stop.
  const stopAfterS = (firstStop.at - stoppedAt) / MS_PER_S;
  assert.ok(stopAfterS >= (WINDOW_MS - POLL_INTERVAL_MS) / MS_PER_S, `STOP after ${stopAfterS} s`);
  assert.ok(firstStop.view.lag > 0 && firstStop.view.members === 0, JSON.stringify(firstStop.view));

  // The oldest unconsumed record stays where it is, so its age (now minus its timestamp, `now` being the
  // monitor's poll) only grows. The rate against the test's clock is not asserted: a poll that runs late
  // under load reports the age at its own time, less than the wall clock's.
  const stretch: Reading[] = [await read()];
  const stretchEnd = Date.now() + CLOCK_STRETCH_MS;
  while (Date.now() < stretchEnd) {
    await sleep(SCRAPE_EVERY_MS);
    stretch.push(await read());
  }
  const from = stretch[0] as Reading;
  const to = stretch[stretch.length - 1] as Reading;
  const ages = stretch.map((reading) => reading.view.maxLagSeconds);
  assert.ok(
    ages.every((age, index) => index === 0 || age >= (ages[index - 1] as number)),
    `time lag never shrinks: ${ages.join(' ')}`,
  );
  assert.ok(to.view.maxLagSeconds > from.view.maxLagSeconds, `time lag grows: ${ages.join(' ')}`);
  for (const reading of stretch) {
    const bound = (reading.at - drivenAt) / MS_PER_S;
    assert.ok(reading.view.maxLagSeconds <= bound, `time lag ${reading.view.maxLagSeconds} s <= ${bound} s`);
  }
  const rate = (to.view.maxLagSeconds - from.view.maxLagSeconds) / ((to.at - from.at) / MS_PER_S);
  assert.ok(to.view.lag > from.view.lag, `lag in records grows too: ${from.view.lag} -> ${to.view.lag}`);
  assert.equal(to.view.status, 'STOP');
  t.diagnostic(
    `after the stop: ${statuses.join(' ')}; STOP after ${stopAfterS.toFixed(1)} s; time lag +${rate.toFixed(2)} s/s`,
  );

  await stack.startNotification();
  await driver.stop();
  const recovered = await eventually(
    async () => {
      const { view } = await read();
      return view.status === 'OK' && view.lag === 0 && view.members === 1 ? view : undefined;
    },
    30_000,
    'lag 0 and status OK after the restart',
  );
  assert.equal(recovered.maxLagSeconds, 0);
});
