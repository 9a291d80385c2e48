/**
 * Value types shared by the event schemas: ids, money, timestamps, SKUs, quantities, contact.
 *
 * Each is a function of the field's description, so every field documents itself in the generated
 * JSON Schema and docs while the constraint stays defined once. Constraints here are part of every
 * event's contract: changing one changes the accepted values of existing fields, which the
 * compatibility check reports as a breaking change for every event that uses it.
 */
import { Type } from 'typebox';

/**
 * Canonical UUID text: lowercase hex, hyphenated. Lowercase only, so that string equality is
 * identity: the inbox deduplicates by event id and Inventory by order id, and an uppercase copy of a
 * known id must not look new.
 */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** ISO 8601 instant in UTC with a literal `Z` (what `Date.prototype.toISOString` produces); no offsets. */
export const UTC_TIMESTAMP_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$';

/**
 * ISO 4217 alphabetic currency code. A pattern, not an enumeration: an enum would make every new
 * currency a breaking schema change; whether a currency is accepted is a business rule of the services.
 */
export const CURRENCY_PATTERN = '^[A-Z]{3}$';

/** Largest amount in minor units that survives JSON in JavaScript without losing precision. */
export const MAX_AMOUNT_MINOR = Number.MAX_SAFE_INTEGER;

/** SKUs are opaque, case-sensitive product identifiers owned by the Inventory Service. */
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/** Longest SKU accepted. */
export const MAX_SKU_LENGTH = 64;

/** Most lines one order may have (the Order API accepts 1 to 100 lines). */
export const MAX_LINES_PER_ORDER = 100;

/** Largest quantity of one line. */
export const MAX_QUANTITY_PER_LINE = 10_000;

/** Longest e-mail address (RFC 5321 limits a forward path to 254 characters). */
export const MAX_EMAIL_LENGTH = 254;

/** Phone numbers in E.164 form (`+` and up to 15 digits), as SMS providers expect them. */
export const E164_PATTERN = '^\\+[1-9][0-9]{1,14}$';

/** Longest human-readable reason text carried in an event. */
export const MAX_REASON_MESSAGE_LENGTH = 500;

/**
 * JSON Schema annotation marking personal data. Ignored by validators; read by the PII test, which
 * fails when a marked field appears on a topic that a service outside the allowed list consumes.
 */
export const PII_ANNOTATION = 'x-pii';

/** A UUID in canonical lowercase form. */
export function Uuid(description: string) {
  return Type.String({ format: 'uuid', pattern: UUID_PATTERN, description });
}

/** An ISO 8601 UTC instant, e.g. `2025-01-31T12:00:00.000Z`. */
export function UtcTimestamp(description: string) {
  return Type.String({ format: 'date-time', pattern: UTC_TIMESTAMP_PATTERN, description });
}

/** A product SKU. */
export function Sku(description: string) {
  return Type.String({ minLength: 1, maxLength: MAX_SKU_LENGTH, pattern: SKU_PATTERN, description });
}

/** A positive line quantity. */
export function Quantity(description: string) {
  return Type.Integer({ minimum: 1, maximum: MAX_QUANTITY_PER_LINE, description });
}

/**
 * An amount of money as every service holds it: integer minor units (cents for EUR, yen for JPY) and an
 * ISO 4217 code, the shape the `Money` schema below validates.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/**
 * An amount of money: integer minor units (cents for EUR, yen for JPY) and an ISO 4217 code.
 * Never a float: binary floating point cannot represent most decimal amounts, and sums drift.
 */
export function Money(description: string) {
  return Type.Object(
    {
      amountMinor: Type.Integer({
        minimum: 0,
        maximum: MAX_AMOUNT_MINOR,
        description: "Amount in the currency's minor unit (e.g. 1999 = 19.99 EUR); never negative.",
      }),
      currency: Type.String({ pattern: CURRENCY_PATTERN, description: 'ISO 4217 alphabetic currency code.' }),
    },
    { additionalProperties: false, description },
  );
}

/**
 * How to reach the customer. Personal data: only the order outcome topic carries it, so only the
 * Notification Service receives it (see docs/design/contracts.md, "Personal data").
 */
export function CustomerContact(description: string) {
  return Type.Object(
    {
      email: Type.String({
        format: 'email',
        maxLength: MAX_EMAIL_LENGTH,
        description: "The customer's e-mail address.",
      }),
      phone: Type.Optional(
        Type.String({
          pattern: E164_PATTERN,
          description: 'Mobile number in E.164 form; an SMS is sent when present.',
        }),
      ),
    },
    { additionalProperties: false, description, [PII_ANNOTATION]: true },
  );
}

/** A stable machine-readable code with a human-readable message, for cancellations and declines. */
export function Reason<const Codes extends readonly [string, ...string[]]>(codes: Codes, description: string) {
  return Type.Object(
    {
      code: Type.Enum(codes, { description: `Stable reason code; one of ${codes.join(', ')}.` }),
      message: Type.String({
        minLength: 1,
        maxLength: MAX_REASON_MESSAGE_LENGTH,
        description: 'Human-readable explanation, safe to show to the customer.',
      }),
    },
    { additionalProperties: false, description },
  );
}
