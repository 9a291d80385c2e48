/**
 * OrderPlaced: the Order Service accepted an order (status PENDING). The Inventory Service reserves
 * its lines. Carries exactly what a reservation needs: the order id (partition key and the
 * reservation's idempotency key) and the lines. No customer data: Inventory never sees who ordered.
 */
import { Type } from 'typebox';
import { MAX_LINES_PER_ORDER, Quantity, Sku, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';
import { distinctSkus } from './invariants.ts';

export const OrderPlacedV1 = defineEvent({
  type: 'OrderPlaced',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'The Order Service accepted an order (PENDING); the Inventory Service reserves its lines.',
  schema: Type.Object(
    {
      orderId: Uuid(
        'Order id assigned by the Order Service; partition key and the idempotency key of the reservation.',
      ),
      lines: Type.Array(
        Type.Object(
          {
            sku: Sku('Product to reserve.'),
            quantity: Quantity('Units to reserve.'),
          },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          maxItems: MAX_LINES_PER_ORDER,
          description: 'Order lines, at most one per SKU; reserved all or nothing.',
        },
      ),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    lines: [
      { sku: 'MUG-RED', quantity: 2 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
  },
  invariants: (payload) => distinctSkus('lines', payload.lines),
});
