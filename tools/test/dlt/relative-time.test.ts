import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimeBound } from '../../src/dlt/relative-time.ts';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

test('parseTimeBound should read a relative time as that long before now', () => {
  assert.equal(parseTimeBound('90s', NOW), NOW - 90_000);
  assert.equal(parseTimeBound('30m', NOW), NOW - 30 * 60_000);
  assert.equal(parseTimeBound('2h', NOW), NOW - 2 * 3_600_000);
  assert.equal(parseTimeBound('7d', NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTimeBound('1w', NOW), NOW - 604_800_000);
  assert.equal(parseTimeBound('now', NOW), NOW);
});

test('parseTimeBound should read ISO 8601, a date-time without offset as UTC', () => {
  assert.equal(parseTimeBound('2026-04-30', NOW), Date.parse('2026-04-30T00:00:00Z'));
  assert.equal(parseTimeBound('2026-04-30T10:15:00Z', NOW), Date.parse('2026-04-30T10:15:00Z'));
  assert.equal(parseTimeBound('2026-04-30T10:15:00', NOW), Date.parse('2026-04-30T10:15:00Z'));
  assert.equal(parseTimeBound('2026-04-30T10:15:00+02:00', NOW), Date.parse('2026-04-30T08:15:00Z'));
  assert.equal(parseTimeBound('2026-04-30 10:15', NOW), Date.parse('2026-04-30T10:15:00Z'));
});

test('parseTimeBound should reject anything else with DLT_INVALID_OPTION', () => {
  for (const text of ['yesterday', '1', '2h ago', '-2h', '2y', '2026-13-45', 'March 7', '']) {
    assert.throws(() => parseTimeBound(text, NOW), { code: 'DLT_INVALID_OPTION' }, text);
  }
});
