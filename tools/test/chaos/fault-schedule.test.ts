import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SCHEDULE, describeFault, resolveSchedule } from '../../src/chaos/fault-schedule.ts';

test('the default schedule should hold every fault the suite must survive', () => {
  const kinds = DEFAULT_SCHEDULE.map(describeFault);
  assert.equal(kinds.filter((kind) => kind === 'kill-partition-leader').length, 3);
  for (const fault of DEFAULT_SCHEDULE.filter((f) => f.kind === 'kill-partition-leader'))
    assert.equal(fault.downSeconds, 20);
  assert.ok(kinds.includes('pause-broker'));
  for (const service of ['order', 'inventory', 'payment', 'notification'])
    assert.ok(kinds.includes(`kill-instance ${service}`));
  assert.ok(kinds.includes('restart-postgres'));
  assert.ok(kinds.some((kind) => kind.startsWith('rolling-restart')));
});

test('a named schedule should scale to the run and drop faults past its end', () => {
  const half = resolveSchedule('default', 150);
  assert.equal(half.length, DEFAULT_SCHEDULE.length);
  assert.equal(half[0]?.at, 10);
  assert.deepEqual(resolveSchedule('none', 60), []);
  const short = resolveSchedule('short', 30);
  assert.ok(short.every((fault) => fault.at < 30));
});
