/**
 * Request schemas of the order API (validated by Fastify's ajv; violations are 400 HTTP_VALIDATION_FAILED).
 * Bounds come from the contracts, so what the API accepts always fits the events it produces. Unknown
 * fields are refused (`additionalProperties: false`), never dropped.
 */
import { MAX_EMAIL_LENGTH, MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_LINE, Sku } from '@shop/contracts/values';
import { type Static, Type } from 'typebox';
import { ORDER_STATUSES } from '../domain/order.ts';
import { MAX_PHONE_INPUT_LENGTH } from '../domain/phone-number.ts';
import { SAGA_STATES } from '../domain/saga/saga-model.ts';

/** A UUID in either case; the service stores and compares the lowercase form. */
const ANY_CASE_UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** Longest Idempotency-Key (the IETF draft sets no limit; a UUID is 36). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Visible ASCII only: keys are compared byte for byte, so no spaces or look-alike characters. */
const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]+$';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Orders listed per page when `limit` is absent, and the most a page may hold. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const Uuid = () => Type.String({ pattern: ANY_CASE_UUID_PATTERN });

/**
 * No `customerId`: the customer is the bearer token's subject. A body that still names one is refused as an
 * unknown field (400 HTTP_VALIDATION_FAILED naming `customerId`), rather than silently ignored or trusted.
 */
export const PlaceOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          sku: Sku('Product to order.'),
          quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY_PER_LINE }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_LINES_PER_ORDER },
    ),
    contact: Type.Object(
      {
        email: Type.String({ format: 'email', maxLength: MAX_EMAIL_LENGTH }),
        // Separators are allowed here and removed by normalisePhone, which also checks E.164.
        phone: Type.Optional(
          Type.String({ minLength: 1, maxLength: MAX_PHONE_INPUT_LENGTH, pattern: '^[0-9+ ().-]+$' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const PlaceOrderHeaders = Type.Object({
  [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
    Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN }),
  ),
});

export const OrderParams = Type.Object({ id: Uuid() }, { additionalProperties: false });
export type OrderParams = Static<typeof OrderParams>;

// Query strings arrive as text and the platform's ajv does not coerce types, so numbers are patterns
// here and parsed (and range-checked, with ORD_ codes) by the route.
export const GetOrderQuery = Type.Object(
  { wait: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,3})?$' })) },
  { additionalProperties: false },
);
export type GetOrderQuery = Static<typeof GetOrderQuery>;

export const ListOrdersQuery = Type.Object(
  {
    /** Whose orders an operator lists (required for an operator); a customer lists their own. */
    customerId: Type.Optional(Uuid()),
    /** An operator's: only orders in this status (across customers when no customerId is named). */
    status: Type.Optional(Type.Enum(ORDER_STATUSES)),
    /** An operator's: only orders whose saga is in this state (e.g. COMPENSATION_FAILED). */
    sagaState: Type.Optional(Type.Enum(SAGA_STATES)),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
    before: Type.Optional(Uuid()),
  },
  { additionalProperties: false },
);
export type ListOrdersQuery = Static<typeof ListOrdersQuery>;

/** GET /sagas/summary: how many sagas are in each state, every state named. */
export const SagaSummaryResponse = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    states: Type.Object(Object.fromEntries(SAGA_STATES.map((state) => [state, Type.Integer({ minimum: 0 })]))),
  },
  { additionalProperties: false },
);
