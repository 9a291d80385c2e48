import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, customerToken, operatorToken, serviceToken } from '@shop/test-support';
import { newOrderId, startInventory } from '../support/inventory-harness.ts';

interface ReservationBody {
  orderId: string;
  status: string;
  lines: { sku: string; quantity: number; unitPrice?: unknown; failure?: { reason: string; available?: number } }[];
  total?: { amountMinor: number; currency: string };
}

test('PUT /reservations/{orderId}: the synchronous reservation', async (t) => {
  const inventory = await startInventory(t);
  /** As the Order Service does in the REST mode: with a `service` token. */
  const reserve = async (orderId: string, lines: { sku: string; quantity: number }[], token?: string) =>
    fetch(`${inventory.url}/reservations/${orderId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(token ?? (await serviceToken())) },
      body: JSON.stringify({ lines }),
    });

  await t.test(
    'only a service reserves: no token is 401, a customer or an operator 403, and no stock moves',
    async () => {
      await inventory.stock('REST-GUARD', 5, 100);
      const orderId = newOrderId();
      const anonymous = await fetch(`${inventory.url}/reservations/${orderId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lines: [{ sku: 'REST-GUARD', quantity: 1 }] }),
      });
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'PLT_UNAUTHENTICATED');
      for (const token of [await customerToken(newOrderId()), await operatorToken()]) {
        const refused = await reserve(orderId, [{ sku: 'REST-GUARD', quantity: 1 }], token);
        assert.equal(refused.status, 403);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'PLT_FORBIDDEN');
      }
      assert.deepEqual(await inventory.stockOf('REST-GUARD'), { available: 5, reserved: 0, sold: 0, totalUnits: 5 });
      assert.equal(await inventory.reservationCount(orderId), 0);
    },
  );

  await t.test('reserves every line, answers 201 with the prices and total, and publishes no event', async () => {
    await inventory.stock('REST-MUG', 5, 1_250);
    const orderId = newOrderId();
    const response = await reserve(orderId, [{ sku: 'REST-MUG', quantity: 2 }]);
    assert.equal(response.status, 201);
    const body = (await response.json()) as ReservationBody;
    assert.equal(body.status, 'RESERVED');
    assert.deepEqual(body.total, { amountMinor: 2_500, currency: 'EUR' });
    assert.deepEqual(await inventory.stockOf('REST-MUG'), { available: 3, reserved: 2, sold: 0, totalUnits: 5 });
    // The answer is the HTTP response: once the outbox is drained, nothing was published for the order.
    await inventory.outboxDrained();
    assert.deepEqual(inventory.resultsFor(orderId), []);
  });

  await t.test(
    'reserves exactly once per order id: a repeat answers 200 with the recorded decision and moves no stock',
    async () => {
      await inventory.stock('REST-LAMP', 3, 900);
      const orderId = newOrderId();
      assert.equal((await reserve(orderId, [{ sku: 'REST-LAMP', quantity: 2 }])).status, 201);
      const [again, concurrent] = await Promise.all([
        reserve(orderId, [{ sku: 'REST-LAMP', quantity: 2 }]),
        reserve(orderId, [{ sku: 'REST-LAMP', quantity: 2 }]),
      ]);
      assert.equal(again.status, 200);
      assert.equal(concurrent.status, 200);
      assert.equal(((await again.json()) as ReservationBody).status, 'RESERVED');
      assert.deepEqual(await inventory.stockOf('REST-LAMP'), { available: 1, reserved: 2, sold: 0, totalUnits: 3 });
      assert.equal(await inventory.reservationCount(orderId), 1);
    },
  );

  await t.test('concurrent first requests for one order id decide it once', async () => {
    await inventory.stock('REST-CUP', 10, 500);
    const orderId = newOrderId();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => reserve(orderId, [{ sku: 'REST-CUP', quantity: 3 }])),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 201]);
    assert.deepEqual(await inventory.stockOf('REST-CUP'), { available: 7, reserved: 3, sold: 0, totalUnits: 10 });
  });

  await t.test(
    'out of stock is a decision: 201 FAILED with each failing line, nothing held, and a repeat keeps it',
    async () => {
      await inventory.stock('REST-POSTER', 1, 700);
      const orderId = newOrderId();
      const response = await reserve(orderId, [{ sku: 'REST-POSTER', quantity: 2 }]);
      assert.equal(response.status, 201);
      const body = (await response.json()) as ReservationBody;
      assert.equal(body.status, 'FAILED');
      assert.deepEqual(body.lines[0]?.failure, { reason: 'INSUFFICIENT_STOCK', available: 1 });
      await inventory.stock('REST-POSTER', 10, 700);
      const repeat = await reserve(orderId, [{ sku: 'REST-POSTER', quantity: 2 }]);
      assert.equal(repeat.status, 200);
      assert.equal(
        ((await repeat.json()) as ReservationBody).status,
        'FAILED',
        'decided once, whatever the stock is now',
      );
    },
  );

  await t.test('a repeat naming other lines is refused with 409 INV_RESERVATION_CONFLICT', async () => {
    await inventory.stock('REST-PEN', 5, 100);
    const orderId = newOrderId();
    assert.equal((await reserve(orderId, [{ sku: 'REST-PEN', quantity: 1 }])).status, 201);
    const other = await reserve(orderId, [{ sku: 'REST-PEN', quantity: 2 }]);
    assert.equal(other.status, 409);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'INV_RESERVATION_CONFLICT');
  });

  await t.test('a repeated SKU is refused with 422 INV_RESERVATION_REFUSED and nothing recorded', async () => {
    await inventory.stock('REST-INK', 5, 100);
    const orderId = newOrderId();
    const response = await reserve(orderId, [
      { sku: 'REST-INK', quantity: 1 },
      { sku: 'REST-INK', quantity: 1 },
    ]);
    assert.equal(response.status, 422);
    assert.equal(await inventory.reservationCount(orderId), 0);
  });
});
