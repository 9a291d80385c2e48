/**
 * OrderConfirmed: the order is CONFIRMED (stock reserved and payment captured). The Notification
 * Service sends the confirmation; this event therefore carries the customer's contact, the only
 * place besides OrderCancelled where it leaves the Order Service.
 */
import { Type } from 'typebox';
import { CustomerContact, MAX_LINES_PER_ORDER, Money, Quantity, Sku, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';
import { distinctSkus } from './invariants.ts';

export const OrderConfirmedV1 = defineEvent({
  type: 'OrderConfirmed',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'The order is CONFIRMED; the Notification Service tells the customer.',
  schema: Type.Object(
    {
      orderId: Uuid("Confirmed order; also the notification's idempotency key together with the outcome."),
      contact: CustomerContact('Where to send the confirmation.'),
      lines: Type.Array(
        Type.Object(
          {
            sku: Sku('Ordered product.'),
            quantity: Quantity('Units ordered.'),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: MAX_LINES_PER_ORDER, description: 'What was ordered, for the message body.' },
      ),
      total: Money('Amount charged.'),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    contact: { email: 'ada@example.com', phone: '+441632960961' },
    lines: [
      { sku: 'MUG-RED', quantity: 2 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    total: { amountMinor: 4499, currency: 'EUR' },
  },
  invariants: (payload) => distinctSkus('lines', payload.lines),
});
