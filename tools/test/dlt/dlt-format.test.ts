import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_HEADERS } from '@shop/contracts';
import { decodeValue, formatFull, formatLine, toView } from '../../src/dlt/dlt-format.ts';
import { deadLetter } from './dead-letter-fixture.ts';

test('decodeValue should parse JSON, keep other UTF-8 as text and show other bytes as base64', () => {
  assert.deepEqual(decodeValue(Buffer.from('{"a":1}')), { value: { a: 1 }, valueEncoding: 'json' });
  assert.deepEqual(decodeValue(Buffer.from('not json{')), { value: 'not json{', valueEncoding: 'text' });
  assert.deepEqual(decodeValue(Buffer.from([0xff, 0xfe])), { value: '//4=', valueEncoding: 'base64' });
  assert.deepEqual(decodeValue(undefined), { value: null, valueEncoding: 'none' });
});

test('formatFull should print every header and the value pretty-printed', () => {
  const record = deadLetter({ offset: 12n });
  const printed = formatFull(record);
  for (const [name, value] of record.headers) assert.ok(printed.includes(`  ${name}: ${value}`), name);
  assert.match(printed, /value \(json\)\n {2}\{\n {4}"orderId": /);
  assert.match(printed, /\/0@12\n/);
});

test('toView and formatLine should show the triage fields of a dead letter', () => {
  const record = deadLetter({ headers: { [FAILURE_HEADERS.replayCount]: '2' } });
  const view = toView(record);
  assert.equal(view.errorCode, 'INV_TEST_POISON');
  assert.equal(view.replayCount, 2);
  assert.equal(view.attempts, 1);
  assert.equal(view.originalPartition, 2);
  assert.match(formatLine(record), /INV_TEST_POISON {2}key=.* {2}replays=2 {2}cannot ever pass$/);
});
