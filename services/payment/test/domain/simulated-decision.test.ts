import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { PAYMENT_DECLINE_REASONS } from '@shop/contracts';
import {
  inOutage,
  SIMULATED_DECLINE_REASONS,
  seededChargeDecision,
  simulatedDecision,
} from '../../src/domain/simulated-decision.ts';

const KEYS = Array.from({ length: 2_000 }, () => randomUUID());

test('seededChargeDecision should give the same decision for the same seed and key', () => {
  for (const key of KEYS.slice(0, 100)) {
    assert.deepEqual(seededChargeDecision('s', 0.5, key), seededChargeDecision('s', 0.5, key));
  }
});

test('seededChargeDecision should capture everything at rate 0 and decline everything at rate 1', () => {
  assert.ok(KEYS.every((key) => seededChargeDecision('s', 0, key).kind === 'capture'));
  assert.ok(KEYS.every((key) => seededChargeDecision('s', 1, key).kind === 'decline'));
});

test('seededChargeDecision should decline about the configured share, with issuer reasons from the contract', () => {
  const decisions = KEYS.map((key) => seededChargeDecision('s', 0.1, key));
  const declined = decisions.filter((decision) => decision.kind === 'decline');
  // 2,000 draws at 10 %: 200 expected, standard deviation ~13; ±60 cannot fail by chance in practice.
  assert.ok(declined.length > 140 && declined.length < 260, `${declined.length} declined`);
  for (const decision of declined) {
    assert.ok(decision.kind === 'decline');
    assert.ok((PAYMENT_DECLINE_REASONS as readonly string[]).includes(decision.reason));
    assert.ok((SIMULATED_DECLINE_REASONS as readonly string[]).includes(decision.reason));
    assert.notEqual(decision.reason, 'CHARGE_EXPIRED');
  }
});

test('inOutage should include the start of a window and exclude its end', () => {
  const window = { from: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-01-01T00:01:00Z') };
  assert.equal(inOutage([window], new Date('2025-12-31T23:59:59.999Z')), false);
  assert.equal(inOutage([window], window.from), true);
  assert.equal(inOutage([window], new Date('2026-01-01T00:00:59.999Z')), true);
  assert.equal(inOutage([window], window.until), false);
  assert.equal(inOutage([], window.from), false);
});

test('a listed customer should always be declined with CARD_DECLINED, others drawn as usual', () => {
  const decide = simulatedDecision('seed', 0, new Set(['dec11e5d-0000-4000-8000-000000000000']));
  for (const key of ['a', 'b', 'c']) {
    assert.deepEqual(decide(key, { customerId: 'DEC11E5D-0000-4000-8000-000000000000' }), {
      kind: 'decline',
      reason: 'CARD_DECLINED',
    });
    assert.deepEqual(decide(key, { customerId: '6f1c1f8e-8f7e-4a57-9d3b-2f0a4c8e1d11' }), { kind: 'capture' });
  }
});
