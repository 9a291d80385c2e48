/**
 * InventoryReserved: every line of the order is reserved. The Inventory Service owns the product
 * catalog and its prices, so the reservation also quotes the unit prices and the total that the order
 * saga charges; the price is fixed by the reservation, not re-read later.
 */
import { Type } from 'typebox';
import { MAX_LINES_PER_ORDER, Money, Quantity, Sku, Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';
import { distinctSkus, totalMatchesLines } from './invariants.ts';

export const InventoryReservedV1 = defineEvent({
  type: 'InventoryReserved',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'Every line of the order is reserved, priced; the order saga goes on to charge the total.',
  schema: Type.Object(
    {
      orderId: Uuid('Order the reservation belongs to (one reservation per order).'),
      lines: Type.Array(
        Type.Object(
          {
            sku: Sku('Reserved product.'),
            quantity: Quantity('Units reserved (equal to the ordered quantity: reservations are all or nothing).'),
            unitPrice: Money('Price of one unit, fixed by this reservation.'),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: MAX_LINES_PER_ORDER, description: 'One entry per order line.' },
      ),
      total: Money('Sum of quantity x unitPrice over the lines; the amount the saga charges.'),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    lines: [
      { sku: 'MUG-RED', quantity: 2, unitPrice: { amountMinor: 1250, currency: 'EUR' } },
      { sku: 'TEE-M-BLK', quantity: 1, unitPrice: { amountMinor: 1999, currency: 'EUR' } },
    ],
    total: { amountMinor: 4499, currency: 'EUR' },
  },
  invariants: (payload) => distinctSkus('lines', payload.lines) ?? totalMatchesLines(payload.lines, payload.total),
});
