import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type TestContext, test } from 'node:test';
import { classifyFailure, isAppError } from '@shop/platform';
import { createTestDatabase } from '@shop/test-support';
import {
  SIMULATED_STATEMENTS_IN_FLIGHT,
  SimulatedPaymentProvider,
  type SimulatedProviderOptions,
} from '../../src/provider/simulated-provider.ts';

const MIGRATIONS = ['0001_payments.sql', '0002_simulated_refunded_total.sql'].map(
  (file) => new URL(`../../src/db/migrations/${file}`, import.meta.url),
);
const EUR = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

async function provider(t: TestContext, options: SimulatedProviderOptions = {}) {
  const db = await createTestDatabase(t, 'payprov');
  for (const migration of MIGRATIONS) await db.pool.query(await readFile(migration, 'utf8'));
  const count = async (table: string) =>
    Number((await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]?.n);
  return { gateway: new SimulatedPaymentProvider(db.pool, options), pool: db.pool, count };
}

function charge(amountMinor = 4499) {
  return { customerId: randomUUID(), amount: EUR(amountMinor) };
}

test('simulated provider', async (t) => {
  const { gateway, pool, count } = await provider(t);

  await t.test('should capture once per idempotency key and return the same result when called again', async () => {
    const key = randomUUID();
    const request = charge();
    const first = await gateway.authorizeAndCapture(request, { idempotencyKey: key });
    const [second, third] = await Promise.all([
      gateway.authorizeAndCapture(request, { idempotencyKey: key }),
      gateway.authorizeAndCapture(request, { idempotencyKey: key }),
    ]);
    assert.equal(first.outcome, 'CAPTURED');
    assert.deepEqual(second, first);
    assert.deepEqual(third, first);
    const rows = await pool.query('SELECT 1 FROM simulated_provider_charges WHERE idempotency_key = $1', [key]);
    assert.equal(rows.rowCount, 1);
  });

  await t.test(
    'concurrent charges should share statements, each with its own outcome and one row per key',
    async () => {
      let statements = 0;
      const counting = {
        query: (...args: unknown[]) => {
          statements++;
          return (pool.query as (...a: unknown[]) => unknown).apply(pool, args);
        },
      } as unknown as typeof pool;
      const declineEvery = new SimulatedPaymentProvider(counting, {
        decide: (key) => (key.endsWith('-d') ? { kind: 'decline', reason: 'INSUFFICIENT_FUNDS' } : { kind: 'capture' }),
      });
      const keys = Array.from({ length: 30 }, (_, i) => `${randomUUID()}${i % 3 === 0 ? '-d' : ''}`);
      const requests = keys.map(() => charge(1234));
      const results = await Promise.all(
        keys.map((key, i) =>
          declineEvery.authorizeAndCapture(requests[i] as ReturnType<typeof charge>, { idempotencyKey: key }),
        ),
      );
      assert.ok(
        statements <= SIMULATED_STATEMENTS_IN_FLIGHT + 1,
        `30 concurrent charges took ${statements} statements`,
      );
      assert.deepEqual(
        results.map((r) => r.outcome),
        keys.map((key) => (key.endsWith('-d') ? 'DECLINED' : 'CAPTURED')),
      );
      const references = results.flatMap((r) => (r.outcome === 'CAPTURED' ? [r.reference] : []));
      assert.equal(new Set(references).size, 20, 'a reference of its own per capture');
      const stored = await pool.query(
        'SELECT count(*)::int AS n FROM simulated_provider_charges WHERE idempotency_key = ANY($1)',
        [keys],
      );
      assert.equal(stored.rows[0].n, 30);
    },
  );

  await t.test('should refuse a reused idempotency key with another amount, as a non-retryable error', async () => {
    const key = randomUUID();
    const request = charge(1000);
    await gateway.authorizeAndCapture(request, { idempotencyKey: key });
    await assert.rejects(
      gateway.authorizeAndCapture({ ...request, amount: EUR(2000) }, { idempotencyKey: key }),
      (error) => isAppError(error) && error.code === 'PAY_IDEMPOTENCY_CONFLICT' && !error.retryable,
    );
  });

  await t.test('should never refund more than was captured, over several refunds', async () => {
    const chargeKey = randomUUID();
    await gateway.authorizeAndCapture(charge(5000), { idempotencyKey: chargeKey });
    const refunds = await Promise.all(
      [3000, 3000, 3000].map(() => gateway.refund({ chargeKey, amount: EUR(3000) }, { idempotencyKey: randomUUID() })),
    );
    const total = refunds.reduce((sum, refund) => sum + refund.amount.amountMinor, 0);
    assert.equal(total, 5000);
    assert.deepEqual(
      refunds.map((refund) => refund.amount.amountMinor).sort((a, b) => a - b),
      [0, 2000, 3000],
    );
  });

  await t.test('should answer a repeated refund key with the first result and move no money', async () => {
    const chargeKey = randomUUID();
    const refundKey = randomUUID();
    await gateway.authorizeAndCapture(charge(5000), { idempotencyKey: chargeKey });
    const first = await gateway.refund({ chargeKey, amount: EUR(5000) }, { idempotencyKey: refundKey });
    const again = await gateway.refund({ chargeKey, amount: EUR(5000) }, { idempotencyKey: refundKey });
    assert.equal(first.amount.amountMinor, 5000);
    assert.deepEqual(again, first);
  });

  await t.test('should answer concurrent refunds with one key once, moving the money once', async () => {
    const chargeKey = randomUUID();
    const refundKey = randomUUID();
    await gateway.authorizeAndCapture(charge(5000), { idempotencyKey: chargeKey });
    const results = await Promise.all(
      [1, 2, 3].map(() => gateway.refund({ chargeKey, amount: EUR(2000) }, { idempotencyKey: refundKey })),
    );
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    assert.equal(results[0]?.amount.amountMinor, 2000);
    const left = await gateway.refund({ chargeKey, amount: EUR(5000) }, { idempotencyKey: randomUUID() });
    assert.equal(left.amount.amountMinor, 3000, 'the repeated key refunded once');
  });

  await t.test('should refuse a refund in another currency than the capture, as a non-retryable error', async () => {
    const chargeKey = randomUUID();
    await gateway.authorizeAndCapture(charge(5000), { idempotencyKey: chargeKey });
    await assert.rejects(
      gateway.refund({ chargeKey, amount: { amountMinor: 100, currency: 'USD' } }, { idempotencyKey: randomUUID() }),
      (error) => isAppError(error) && error.code === 'PAY_CURRENCY_MISMATCH' && !error.retryable,
    );
    const all = await gateway.refund({ chargeKey, amount: EUR(5000) }, { idempotencyKey: randomUUID() });
    assert.equal(all.amount.amountMinor, 5000, 'the refused refund moved nothing');
  });

  await t.test('should refund 0 of a charge it never captured', async () => {
    const refund = await gateway.refund(
      { chargeKey: randomUUID(), amount: EUR(5000) },
      { idempotencyKey: randomUUID() },
    );
    assert.deepEqual(refund.amount, EUR(0));
  });

  await t.test('should fail every call during an outage with a retryable error, and recover after it', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const clocked = new SimulatedPaymentProvider(pool, { now: () => now });
    clocked.addOutage({ from: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-01-01T00:00:30Z') });
    const before = await count('simulated_provider_charges');
    const key = randomUUID();
    await assert.rejects(
      clocked.authorizeAndCapture(charge(), { idempotencyKey: key }),
      (error) => isAppError(error) && error.code === 'PAY_PROVIDER_UNAVAILABLE' && error.retryable,
    );
    assert.equal(await count('simulated_provider_charges'), before, 'nothing captured during the outage');
    now = new Date('2026-01-01T00:00:30Z');
    assert.equal((await clocked.authorizeAndCapture(charge(), { idempotencyKey: key })).outcome, 'CAPTURED');
  });

  await t.test('should fail as a retryable PAY_PROVIDER_UNAVAILABLE when its own store fails', async () => {
    // The store answers, but its statements fail (its tables are gone): the gateway's failure.
    const db = await createTestDatabase(t, 'payprov_broken');
    const broken = new SimulatedPaymentProvider(db.pool);
    await assert.rejects(
      broken.authorizeAndCapture(charge(), { idempotencyKey: randomUUID() }),
      (error) => isAppError(error) && error.code === 'PAY_PROVIDER_UNAVAILABLE' && error.retryable,
    );
    await assert.rejects(
      broken.refund({ chargeKey: randomUUID(), amount: EUR(100) }, { idempotencyKey: randomUUID() }),
      (error) => isAppError(error) && error.code === 'PAY_PROVIDER_UNAVAILABLE' && error.retryable,
    );
  });

  await t.test('should leave no connection to its store an infrastructure failure, retried in place', async () => {
    // The store shares the service's PostgreSQL server: no connection to it (server down, pool exhausted or
    // closed) is an outage of our own infrastructure, not a gateway failure worth a retry tier.
    const db = await createTestDatabase(t, 'payprov_gone');
    await db.pool.end();
    const unreachable = new SimulatedPaymentProvider(db.pool);
    await assert.rejects(unreachable.authorizeAndCapture(charge(), { idempotencyKey: randomUUID() }), (error) => {
      assert.ok(isAppError(error));
      assert.equal(error.code, 'PLT_POSTGRES_UNREACHABLE');
      assert.equal(classifyFailure(error).kind, 'infrastructure');
      return true;
    });
  });

  await t.test('should decline every charge at decline rate 1, with an issuer reason, capturing nothing', async () => {
    const declining = new SimulatedPaymentProvider(pool, { declineRate: 1 });
    const chargeKey = randomUUID();
    const result = await declining.authorizeAndCapture(charge(), { idempotencyKey: chargeKey });
    assert.equal(result.outcome, 'DECLINED');
    assert.ok(
      result.outcome === 'DECLINED' &&
        ['INSUFFICIENT_FUNDS', 'CARD_DECLINED', 'SUSPECTED_FRAUD'].includes(result.reason),
    );
    const refund = await declining.refund({ chargeKey, amount: EUR(4499) }, { idempotencyKey: randomUUID() });
    assert.equal(refund.amount.amountMinor, 0, 'a declined charge has nothing to refund');
  });

  await t.test('should add its configured latency to every call', async () => {
    const slow = new SimulatedPaymentProvider(pool, { latencyMs: 150 });
    const started = performance.now();
    await slow.authorizeAndCapture(charge(), { idempotencyKey: randomUUID() });
    assert.ok(performance.now() - started >= 140);
  });

  await t.test('should remember captures across instances (its state is in the database)', async () => {
    const key = randomUUID();
    const request = charge();
    const first = await gateway.authorizeAndCapture(request, { idempotencyKey: key });
    const restarted = new SimulatedPaymentProvider(pool, { declineRate: 1 });
    assert.deepEqual(await restarted.authorizeAndCapture(request, { idempotencyKey: key }), first);
    assert.deepEqual(await restarted.findCharge(key), first);
    assert.equal(await restarted.findCharge(randomUUID()), undefined);
  });
});
