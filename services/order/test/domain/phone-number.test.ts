import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalisePhone } from '../../src/domain/phone-number.ts';

test('normalisePhone should turn common international spellings into E.164', () => {
  for (const [input, expected] of [
    ['+441632960961', '+441632960961'],
    ['+44 1632 960961', '+441632960961'],
    ['+44 (1632) 960-961', '+441632960961'],
    ['+1.202.555.0143', '+12025550143'],
    ['0049 30 123456', '+4930123456'],
  ] as const) {
    assert.deepEqual(normalisePhone(input), { ok: true, phone: expected }, input);
  }
});

test('normalisePhone should refuse numbers without a country code and garbage rather than guess', () => {
  for (const input of ['01632 960961', '12345', '+0441632960961', '+', '++441632960961', '+44163296096112345', '']) {
    const result = normalisePhone(input);
    assert.equal(result.ok, false, input);
    assert.equal(!result.ok && result.code, 'ORD_INVALID_PHONE', input);
  }
});
