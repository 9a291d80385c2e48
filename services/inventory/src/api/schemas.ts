/**
 * TypeBox schemas of the HTTP API: request validation (Fastify/ajv, unknown fields refused) and the
 * response shapes, from one definition. Value constraints reuse the contracts' (SKU, money, UUID) so
 * the API accepts exactly what the events can carry.
 */
import { Money, Sku, UUID_PATTERN } from '@shop/contracts/values';
import { type Static, Type } from 'typebox';
import { RESERVATION_STATUSES } from '../domain/reservation-lifecycle.ts';

/**
 * Most units PUT may set as available for one SKU. Keeps available + reserved + sold far from the
 * 32-bit column limit even after several restocks of units that are still reserved.
 */
export const MAX_AVAILABLE_UNITS = 100_000_000;

/**
 * Highest unit price in minor units (10,000,000.00 in a two-decimal currency). With the contracts'
 * limits of 100 lines of 10,000 units, an order's total stays below 2^53 (1e15 < 9.007e15), so every
 * total is exact.
 */
export const MAX_UNIT_PRICE_MINOR = 1_000_000_000;

export const MAX_NAME_LENGTH = 200;

/** Products per page of GET /inventory unless `limit` says otherwise. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page GET /inventory returns. */
export const MAX_PAGE_SIZE = 1_000;

const UnitPrice = Type.Object(
  {
    amountMinor: Type.Integer({
      minimum: 0,
      maximum: MAX_UNIT_PRICE_MINOR,
      description: "Price of one unit in the currency's minor unit (1999 = 19.99 EUR).",
    }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code; the one currency of the catalog.' }),
  },
  { additionalProperties: false },
);

export const SkuParams = Type.Object({ sku: Sku('Product SKU.') }, { additionalProperties: false });
export type SkuParams = Static<typeof SkuParams>;

export const OrderIdParams = Type.Object(
  { orderId: Type.String({ pattern: UUID_PATTERN, description: 'Order id (lowercase UUID).' }) },
  { additionalProperties: false },
);
export type OrderIdParams = Static<typeof OrderIdParams>;

export const ListQuery = Type.Object(
  {
    after: Type.Optional(Sku("Return products whose SKU sorts after this one (the previous page's `nextAfter`).")),
    // Query strings are text and the platform's validator never coerces types, so the number is a
    // pattern: 1 to MAX_PAGE_SIZE (1000).
    limit: Type.Optional(
      Type.String({
        pattern: '^([1-9][0-9]{0,2}|1000)$',
        description: `Page size, 1 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const PutProductBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Display name; default: the SKU.' }),
    ),
    available: Type.Integer({
      minimum: 0,
      maximum: MAX_AVAILABLE_UNITS,
      description:
        'Units available to reserve from now on; the difference to the current value enters or leaves stock.',
    }),
    unitPrice: Type.Optional(UnitPrice),
  },
  { additionalProperties: false },
);
export type PutProductBody = Static<typeof PutProductBody>;

export const ProductView = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  unitPrice: Money('Price of one unit.'),
  available: Type.Integer({ description: 'Units that can be reserved.' }),
  reserved: Type.Integer({ description: 'Units held for orders awaiting payment.' }),
  sold: Type.Integer({ description: 'Units of paid orders.' }),
  totalUnits: Type.Integer({ description: 'available + reserved + sold; changes only through PUT.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type ProductView = Static<typeof ProductView>;

export const ProductPage = Type.Object({
  items: Type.Array(ProductView),
  nextAfter: Type.Optional(Type.String({ description: 'Pass as `after` for the next page; absent on the last.' })),
});
export type ProductPage = Static<typeof ProductPage>;

const LineFailureView = Type.Object({
  reason: Type.Union([Type.Literal('UNKNOWN_SKU'), Type.Literal('INSUFFICIENT_STOCK')]),
  available: Type.Optional(Type.Integer({ description: 'Units available at the attempt (INSUFFICIENT_STOCK).' })),
});

export const ReservationView = Type.Object({
  orderId: Type.String(),
  status: Type.Enum(RESERVATION_STATUSES),
  lines: Type.Array(
    Type.Object({
      sku: Type.String(),
      quantity: Type.Integer(),
      unitPrice: Type.Optional(Money('Quoted unit price (when stock was held).')),
      failure: Type.Optional(LineFailureView),
    }),
  ),
  total: Type.Optional(Money('Quoted total (when stock was held).')),
  createdAt: Type.String({ format: 'date-time' }),
  committedAt: Type.Optional(Type.String({ format: 'date-time' })),
  releasedAt: Type.Optional(Type.String({ format: 'date-time' })),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type ReservationView = Static<typeof ReservationView>;

/** Most lines of one reservation request: the contract's limit for an order. */
const MAX_RESERVATION_LINES = 100;
/** Most units of one line: the contract's limit for an order line. */
const MAX_LINE_QUANTITY = 10_000;

export const ReserveBody = Type.Object(
  {
    lines: Type.Array(
      Type.Object(
        {
          sku: Sku('Product SKU.'),
          quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY, description: 'Units to reserve.' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_RESERVATION_LINES, description: 'All reserved, or none.' },
    ),
  },
  { additionalProperties: false },
);
export type ReserveBody = Static<typeof ReserveBody>;

export const ErrorView = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});
