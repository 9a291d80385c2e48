/**
 * Two Order Service instances on one database, each with its own pool and so its own in-process wake-ups:
 * only the instance whose saga consumer settles an order is woken in-process; the other must learn it from
 * its settlement poll. A long-poll on each instance for the same order, both answered promptly, shows that
 * the instance that did not settle the order answers about as soon as the one that did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operatorToken } from '@shop/test-support';
import { http, type OrderBody, placeOrder, putStock, restartService, startStack } from '@shop/test-support/stack';
import { orderService } from '../../services/order/src/service.ts';

const ORDERS = 6;
const WAIT_SECONDS = 20;
/** The other instance polls a waited-for order after 300 ms, then at growing intervals up to 1 s. */
const PROMPT_MS = 2_000;

test('a long-poll should be answered promptly by the instance that did not settle the order', async (t) => {
  const stack = await startStack(t);
  // A second instance of the Order Service: same database, same namespace and consumer groups.
  const second = await restartService(t, orderService, stack.order);
  await putStock(stack.inventory.url, 'LONGPOLL-1', 100);
  for (let i = 0; i < ORDERS; i++) {
    const orderId = await placeOrder(stack.order.url, [{ sku: 'LONGPOLL-1', quantity: 1 }]);
    const waitOn = async (url: string) => {
      const response = await http<OrderBody>(`${url}/orders/${orderId}?wait=${WAIT_SECONDS}`, {
        token: await operatorToken(),
      });
      return { at: Date.now(), status: response.body.status };
    };
    const [a, b] = await Promise.all([waitOn(stack.order.url), waitOn(second.url)]);
    assert.notEqual(a.status, 'PENDING', `order ${orderId} final on the first instance`);
    assert.notEqual(b.status, 'PENDING', `order ${orderId} final on the second instance`);
    assert.ok(Math.abs(a.at - b.at) <= PROMPT_MS, `order ${orderId}: answers ${Math.abs(a.at - b.at)} ms apart`);
  }
});
