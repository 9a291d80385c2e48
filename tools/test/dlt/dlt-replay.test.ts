import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_HEADERS, retryTopicsOf, topicName } from '@shop/contracts';
import type { DeadLetter } from '../../src/dlt/dead-letter.ts';
import {
  DEFAULT_MAX_REPLAYS,
  dueTime,
  historyKey,
  type PlanInput,
  planReplay,
  replayHeaders,
} from '../../src/dlt/dlt-replay.ts';
import { parseTarget } from '../../src/dlt/replay-target.ts';
import { deadLetter, NOW, namespace } from './dead-letter-fixture.ts';

const text = (headers: ReadonlyMap<string, Buffer>, name: string) => headers.get(name)?.toString();

test('replayHeaders should keep every original header and add the replay stamp', () => {
  const record = deadLetter({ headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
  const headers = replayHeaders(record.headers, {
    replayCount: 2,
    replayedAt: new Date(NOW),
    operator: 'alice',
    tier: 1,
  });
  for (const [name, value] of record.headers) {
    if (name === FAILURE_HEADERS.attempts) continue;
    assert.deepEqual(headers.get(name), value, `${name} kept byte for byte`);
  }
  assert.equal(text(headers, 'event-id'), text(record.headers, 'event-id'), 'same event id: the inbox dedupes');
  assert.equal(text(headers, FAILURE_HEADERS.replayCount), '2');
  assert.equal(text(headers, FAILURE_HEADERS.replayedAt), '2026-05-01T12:00:00.000Z');
  assert.equal(text(headers, FAILURE_HEADERS.replayedBy), 'alice');
});

test('replayHeaders should drop retry-not-before and reset the attempts to those of the target tier', () => {
  const record = deadLetter({
    headers: { [FAILURE_HEADERS.attempts]: '4', [FAILURE_HEADERS.retryNotBefore]: '2026-05-01T13:00:00.000Z' },
  });
  const stamp = { replayCount: 1, replayedAt: new Date(NOW), operator: 'bob' };
  const toTier = replayHeaders(record.headers, { ...stamp, tier: 1 });
  assert.equal(toTier.has(FAILURE_HEADERS.retryNotBefore), false, 'a replay is due at once');
  assert.equal(text(toTier, FAILURE_HEADERS.attempts), '1', 'as a record reaching tier 1 normally has');
  const toSource = replayHeaders(record.headers, stamp);
  assert.equal(toSource.has(FAILURE_HEADERS.attempts), false, 'a record on its source topic has no attempts yet');
});

function plan(matched: DeadLetter[], overrides: Partial<PlanInput> = {}) {
  return planReplay({
    matched,
    latest: new Map(matched.map((record) => [historyKey(record), record])),
    audited: new Map(),
    target: parseTarget(undefined, namespace),
    namespace,
    ...overrides,
  });
}

test('planReplay should send a record to its consumer’s first retry tier with replay count one more than before', () => {
  const [decision] = plan([deadLetter({ headers: { [FAILURE_HEADERS.replayCount]: '1' } })]);
  assert.equal(decision?.action, 'replay');
  if (decision?.action !== 'replay') return;
  assert.equal(decision.target.topic, namespace.topic(retryTopicsOf('reserveStock')[0]?.name ?? ''));
  assert.equal(decision.target.tier, 1);
  assert.equal(decision.replayCount, 2);
  assert.equal(decision.forced, false);
});

test('planReplay should count the audit’s replays of the same event when they exceed the header’s', () => {
  const record = deadLetter();
  const [decision] = plan([record], { audited: new Map([[historyKey(record), 2]]) });
  assert.equal(decision?.action === 'replay' && decision.replayCount, 3);
});

test('planReplay should park a record replayed the maximum number of times, unless forced', () => {
  const record = deadLetter({ headers: { [FAILURE_HEADERS.replayCount]: String(DEFAULT_MAX_REPLAYS) } });
  assert.deepEqual(
    plan([record]).map((d) => d.action),
    ['parked'],
  );
  const [forced] = plan([record], { force: true });
  assert.equal(forced?.action, 'replay');
  assert.equal(forced?.action === 'replay' && forced.forced, true);
  assert.equal(forced?.action === 'replay' && forced.replayCount, DEFAULT_MAX_REPLAYS + 1);
  assert.deepEqual(
    plan([deadLetter({ headers: { [FAILURE_HEADERS.replayCount]: '1' } })], { maxReplays: 1 }).map((d) => d.action),
    ['parked'],
  );
});

test('planReplay should skip an older copy of an event that was dead-lettered again later', () => {
  const older = deadLetter({ offset: 3n });
  const newer = deadLetter({
    offset: 9n,
    headers: { 'event-id': older.headers.get('event-id')?.toString(), [FAILURE_HEADERS.replayCount]: '1' },
  });
  const decisions = planReplay({
    matched: [older, newer],
    latest: new Map([[historyKey(newer), newer]]),
    audited: new Map(),
    target: parseTarget(undefined, namespace),
    namespace,
  });
  assert.deepEqual(
    decisions.map((d) => d.action),
    ['skipped', 'replay'],
  );
  assert.match(decisions[0]?.action === 'skipped' ? decisions[0].reason : '', /superseded by .*@9$/);
});

test('planReplay should replay to the original topic with --to source, and skip a record without one', () => {
  const spec = parseTarget('source', namespace);
  const [toSource] = plan([deadLetter()], { target: spec });
  assert.equal(toSource?.action === 'replay' && toSource.target.topic, namespace.topic(topicName('orderPlaced')));
  assert.equal(toSource?.action === 'replay' && toSource.target.tier, undefined);
  const [orphan] = plan([deadLetter({ headers: { [FAILURE_HEADERS.originalTopic]: undefined } })], { target: spec });
  assert.equal(orphan?.action, 'skipped');
});

test('dueTime should space records evenly at the given rate', () => {
  assert.equal(dueTime(1_000, 0, 50), 1_000);
  assert.equal(dueTime(1_000, 1, 50), 1_020);
  assert.equal(dueTime(1_000, 50, 50), 2_000);
  assert.equal(dueTime(1_000, 3, 2), 2_500);
});
