import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { awaitSettlement } from '../../src/api/await-settlement.ts';
import type { OrderRecord } from '../../src/app/order-queries.ts';
import type {
  SettlementSubscription,
  SettlementSubscriptions,
  WakeReason,
} from '../../src/domain/settlement-wakeups.ts';

/** Wake-ups that come only when the test says. */
class ScriptedWakeups implements SettlementSubscriptions {
  subscriptions = 0;
  #wakers: Array<(reason: WakeReason) => void> = [];

  subscribe(): SettlementSubscription {
    this.subscriptions++;
    return {
      next: (timeoutMs: number) =>
        new Promise<WakeReason>((resolve) => {
          const timer = setTimeout(() => resolve('timeout'), timeoutMs);
          this.#wakers.push((reason) => {
            clearTimeout(timer);
            resolve(reason);
          });
        }),
      close: () => {
        this.subscriptions--;
      },
    };
  }

  wake(reason: WakeReason): void {
    for (const waker of this.#wakers.splice(0)) waker(reason);
  }
}

function order(status: OrderRecord['status']): OrderRecord {
  const now = new Date();
  return {
    id: randomUUID(),
    customerId: randomUUID(),
    status,
    lines: [{ sku: 'MUG-RED', quantity: 1 }],
    createdAt: now,
    updatedAt: now,
  };
}

test('awaitSettlement should still see the settlement by its own polling when no wake-up ever arrives', async () => {
  const wakeups = new ScriptedWakeups();
  const settleAt = performance.now() + 300;
  let reads = 0;
  const started = performance.now();
  const result = await awaitSettlement({
    orderId: 'o',
    waitMs: 5_000,
    safetyPollMs: 50,
    wakeups,
    find: async () => {
      reads++;
      return order(performance.now() >= settleAt ? 'CONFIRMED' : 'PENDING');
    },
  });
  const elapsed = performance.now() - started;
  assert.equal(result?.status, 'CONFIRMED');
  assert.ok(elapsed >= 300 && elapsed < 1_000, `returned after ${elapsed} ms`);
  assert.ok(reads >= 3, 'polled more than once');
  assert.equal(wakeups.subscriptions, 0, 'subscription closed');
});

test('awaitSettlement should re-read only when woken, not in between', async () => {
  const wakeups = new ScriptedWakeups();
  let status: OrderRecord['status'] = 'PENDING';
  let reads = 0;
  const waiting = awaitSettlement({
    orderId: 'o',
    waitMs: 5_000,
    safetyPollMs: 5_000,
    wakeups,
    find: async () => {
      reads++;
      return order(status);
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(reads, 1, 'no re-read before a wake-up or the safety interval');
  status = 'CANCELLED';
  wakeups.wake('notified');
  const result = await waiting;
  assert.equal(result?.status, 'CANCELLED');
  assert.equal(reads, 2);
});

test('awaitSettlement should answer PENDING when the wait ends, and at once when the server is closing', async () => {
  const pendingOrder = order('PENDING');
  const wakeups = new ScriptedWakeups();
  let started = performance.now();
  const timedOut = await awaitSettlement({ orderId: 'o', waitMs: 200, wakeups, find: async () => pendingOrder });
  let elapsed = performance.now() - started;
  assert.equal(timedOut?.status, 'PENDING');
  assert.ok(elapsed >= 195 && elapsed < 1_000, `returned after ${elapsed} ms`);

  started = performance.now();
  const closing = awaitSettlement({ orderId: 'o', waitMs: 5_000, wakeups, find: async () => pendingOrder });
  await new Promise((resolve) => setTimeout(resolve, 50));
  wakeups.wake('closing');
  assert.equal((await closing)?.status, 'PENDING');
  elapsed = performance.now() - started;
  assert.ok(elapsed < 1_000, `returned after ${elapsed} ms`);
});

test('awaitSettlement should return at once for an order that does not exist or is already final', async () => {
  const wakeups = new ScriptedWakeups();
  assert.equal(await awaitSettlement({ orderId: 'o', waitMs: 5_000, wakeups, find: async () => undefined }), undefined);
  const confirmed = order('CONFIRMED');
  assert.equal(await awaitSettlement({ orderId: 'o', waitMs: 5_000, wakeups, find: async () => confirmed }), confirmed);
});
