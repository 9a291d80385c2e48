/**
 * Regression: when one service of a test stack failed to start, the test failed at once and its after-hooks
 * stopped only the services started by then; a service still starting was tracked too late, never stopped,
 * and its consumers and HTTP server kept the test process alive (a CI run hung on it). Every start now
 * settles before the failure is reported, so every service that started is stopped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pool, ServiceDefinition } from '@shop/platform';
import { startStack } from '@shop/test-support/stack';
import { notificationService } from '../../services/notification/src/service.ts';
import { paymentService } from '../../services/payment/src/service.ts';

test('a stack whose service fails to start should still stop the services that were starting beside it', async (t) => {
  let notificationPool: Pool | undefined;
  const slowNotification: ServiceDefinition = {
    ...notificationService,
    async start(context) {
      // Still starting when the payment service has already failed.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      notificationPool = context.pool;
      await notificationService.start(context);
    },
  };
  const failingPayment: ServiceDefinition = {
    ...paymentService,
    async start() {
      throw new Error('refused to start, on purpose');
    },
  };
  await t.test('the stack start', async (st) => {
    await assert.rejects(
      startStack(st, { definitions: { notification: slowNotification, payment: failingPayment } }),
      /refused to start, on purpose/,
    );
  });
  // The subtest's after-hooks have run: the slow service started meanwhile, and was stopped with the others.
  assert.ok(notificationPool !== undefined, 'the slow service started');
  assert.equal(notificationPool.ended, true, 'and was stopped (its pool ended)');
});
