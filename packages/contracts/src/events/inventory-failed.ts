/**
 * InventoryFailed: at least one line could not be reserved, so nothing was reserved (all or nothing).
 * Lists every failing line with its reason so the Order Service can tell the customer which items
 * are unavailable; lines not listed were available.
 */
import { Type } from 'typebox';
import { MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_LINE, Quantity, Sku, Uuid } from '../values.ts';
import { defineEvent, type InvariantViolation } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';
import { distinctSkus } from './invariants.ts';

/** The closed set of per-line failure reasons. */
export const INVENTORY_FAILURE_REASONS = ['UNKNOWN_SKU', 'INSUFFICIENT_STOCK'] as const;

const UnknownSkuFailure = Type.Object(
  {
    sku: Sku('Ordered SKU that is not in the catalog.'),
    reason: Type.Literal('UNKNOWN_SKU', { description: 'The SKU does not exist.' }),
    requested: Quantity('Units ordered.'),
  },
  { additionalProperties: false },
);

const InsufficientStockFailure = Type.Object(
  {
    sku: Sku('Ordered SKU with too little stock.'),
    reason: Type.Literal('INSUFFICIENT_STOCK', { description: 'Fewer units available than ordered.' }),
    requested: Quantity('Units ordered.'),
    available: Type.Integer({
      minimum: 0,
      maximum: MAX_QUANTITY_PER_LINE,
      description: 'Units available when the reservation was attempted (less than requested).',
    }),
  },
  { additionalProperties: false },
);

function availableBelowRequested(
  failures: readonly { readonly reason: string; readonly requested: number; readonly available?: number }[],
): InvariantViolation | undefined {
  for (const [index, failure] of failures.entries()) {
    if (failure.available !== undefined && failure.available >= failure.requested) {
      return { path: `/failures/${index}/available`, message: 'must be less than requested' };
    }
  }
  return undefined;
}

export const InventoryFailedV1 = defineEvent({
  type: 'InventoryFailed',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'The order could not be reserved (nothing was); the Order Service cancels it.',
  schema: Type.Object(
    {
      orderId: Uuid('Order whose reservation failed.'),
      failures: Type.Array(Type.Union([UnknownSkuFailure, InsufficientStockFailure]), {
        minItems: 1,
        maxItems: MAX_LINES_PER_ORDER,
        description: 'Every line that could not be reserved, with its reason.',
      }),
    },
    { additionalProperties: false },
  ),
  example: {
    orderId: EXAMPLE_ORDER_ID,
    failures: [
      { sku: 'MUG-RED', reason: 'INSUFFICIENT_STOCK', requested: 2, available: 1 },
      { sku: 'MUG-GOLD', reason: 'UNKNOWN_SKU', requested: 1 },
    ],
  },
  invariants: (payload) => distinctSkus('failures', payload.failures) ?? availableBelowRequested(payload.failures),
});
