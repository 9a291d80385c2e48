import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { isAppError } from '@shop/platform';
import { createTestDatabase, eventually } from '@shop/test-support';
import { withProviderTimeout } from '../../src/provider/provider-timeout.ts';
import { SimulatedPaymentProvider } from '../../src/provider/simulated-provider.ts';

const MIGRATIONS = ['0001_payments.sql', '0002_simulated_refunded_total.sql'].map(
  (file) => new URL(`../../src/db/migrations/${file}`, import.meta.url),
);
const GATEWAY_LATENCY_MS = 300;
const DEADLINE_MS = 50;

test('a gateway call past its deadline should fail as retryable, and the retry with the same key should get the late capture', async (t) => {
  const db = await createTestDatabase(t, 'paytimeout');
  for (const migration of MIGRATIONS) await db.pool.query(await readFile(migration, 'utf8'));
  const slow = withProviderTimeout(
    new SimulatedPaymentProvider(db.pool, { latencyMs: GATEWAY_LATENCY_MS }),
    DEADLINE_MS,
  );
  const key = randomUUID();
  const request = { customerId: randomUUID(), amount: { amountMinor: 700, currency: 'EUR' } };

  await assert.rejects(
    slow.authorizeAndCapture(request, { idempotencyKey: key }),
    (error) => isAppError(error) && error.code === 'PAY_PROVIDER_TIMEOUT' && error.retryable,
  );
  // The gateway finishes the call the caller gave up on, like a real one whose response was lost.
  await eventually(
    async () => {
      const rows = await db.pool.query('SELECT 1 FROM simulated_provider_charges WHERE idempotency_key = $1', [key]);
      return rows.rowCount === 1 ? true : undefined;
    },
    5_000,
    'the late capture',
  );
  const fast = withProviderTimeout(new SimulatedPaymentProvider(db.pool), DEADLINE_MS * 20);
  const retried = await fast.authorizeAndCapture(request, { idempotencyKey: key });
  assert.equal(retried.outcome, 'CAPTURED');
  const rows = await db.pool.query('SELECT 1 FROM simulated_provider_charges WHERE idempotency_key = $1', [key]);
  assert.equal(rows.rowCount, 1, 'one capture');
});
