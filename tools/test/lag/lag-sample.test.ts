import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSUMER_GROUPS } from '@shop/contracts';
import { selectGroups } from '../../src/lag/lag-cli.ts';
import type { GroupLag } from '../../src/lag/lag-reader.ts';
import { LagTracker, toGroupSample } from '../../src/lag/lag-sample.ts';

const START = 1_700_000_000_000;

function reading(i: number, committed: bigint, lag: bigint, state = 'Stable'): GroupLag {
  return {
    group: 'g',
    state,
    members: state === 'Stable' ? 1 : 0,
    readAt: START + i * 1_000,
    partitions: [
      {
        topic: 't',
        partition: 0,
        committedOffset: committed,
        logStartOffset: 0n,
        logEndOffset: committed + lag,
        lag,
        timeLagMs: 0,
        timeLagSource: 'record',
      },
    ],
  };
}

test('a group sample should not claim zero members when the group state could not be read', () => {
  assert.equal(toGroupSample(reading(0, 1n, 1n, 'Unknown')).members, undefined);
  assert.equal(toGroupSample(reading(0, 1n, 1n, 'Empty')).members, 0);
  assert.equal(toGroupSample(reading(0, 1n, 1n)).partitions.get('t/0')?.lag, 1n);
});

test('the lag tracker should keep a window per group and report WARN when lag grows while commits move', () => {
  const tracker = new LagTracker({ windowSamples: 3 });
  tracker.add([reading(0, 0n, 2n)]);
  tracker.add([reading(1, 2n, 4n)]);
  tracker.add([reading(2, 4n, 6n)]);
  assert.deepEqual([...tracker.statuses()], [['g', 'WARN']]);
});

test('selectGroups should default to every catalog group and namespace catalog ids given with --group', () => {
  assert.equal(selectGroups('', undefined).length, CONSUMER_GROUPS.length);
  const first = CONSUMER_GROUPS[0];
  assert.ok(first);
  const [selected] = selectGroups('ns', [first.groupId]);
  assert.equal(selected?.group, `ns.${first.groupId}`);
  assert.ok((selected?.topics.length ?? 0) > 0);
  assert.deepEqual(selectGroups('ns', ['someone-else']), [{ group: 'someone-else', topics: [] }]);
});
