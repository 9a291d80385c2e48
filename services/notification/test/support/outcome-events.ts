/** Outcome events as the Order Service publishes them, with a fresh order id unless given. */
import { randomUUID } from 'node:crypto';
import type { EventPayload } from '@shop/contracts';
import type { OutcomeEvent } from '../../src/domain/outcome.ts';

export function orderConfirmed(overrides: Partial<EventPayload<'OrderConfirmed'>> = {}): OutcomeEvent & {
  type: 'OrderConfirmed';
} {
  return {
    type: 'OrderConfirmed',
    payload: {
      orderId: randomUUID(),
      contact: { email: 'ada@example.com', phone: '+441632960961' },
      lines: [
        { sku: 'MUG-RED', quantity: 2 },
        { sku: 'TEE-M-BLK', quantity: 1 },
      ],
      total: { amountMinor: 4499, currency: 'EUR' },
      ...overrides,
    },
  };
}

export function orderCancelled(overrides: Partial<EventPayload<'OrderCancelled'>> = {}): OutcomeEvent & {
  type: 'OrderCancelled';
} {
  return {
    type: 'OrderCancelled',
    payload: {
      orderId: randomUUID(),
      contact: { email: 'grace@example.com' },
      reason: { code: 'ITEMS_UNAVAILABLE', message: 'MUG-RED: only 1 left.' },
      ...overrides,
    },
  };
}
