/**
 * Turns a validated `POST /orders` body into the command the service executes: ids in canonical form,
 * one line per SKU, the phone in E.164. Also computes the request's fingerprint, which an
 * `Idempotency-Key` is bound to.
 */
import { createHash } from 'node:crypto';
import type { Contact, OrderLine } from './order.ts';
import { mergeLines } from './order-lines.ts';
import { normalisePhone } from './phone-number.ts';

/** The request body after schema validation (shape, sizes and formats already checked). */
export interface PlaceOrderRequest {
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  readonly contact: { readonly email: string; readonly phone?: string };
}

export interface PlaceOrderCommand {
  /** Lowercase canonical UUID: the same customer is the same string (idempotency scope, listing). */
  readonly customerId: string;
  /** Distinct SKUs, in the order of their first appearance in the request. */
  readonly lines: readonly OrderLine[];
  readonly contact: Contact;
}

export type PlaceOrderResult =
  | { readonly ok: true; readonly command: PlaceOrderCommand }
  | {
      readonly ok: false;
      readonly code: 'ORD_LINE_QUANTITY_TOO_LARGE' | 'ORD_INVALID_PHONE';
      readonly message: string;
    };

export function toPlaceOrderCommand(request: PlaceOrderRequest): PlaceOrderResult {
  const merged = mergeLines(request.items);
  if (!merged.ok) return merged;
  let contact: Contact = { email: request.contact.email };
  if (request.contact.phone !== undefined) {
    const phone = normalisePhone(request.contact.phone);
    if (!phone.ok) return phone;
    contact = { email: request.contact.email, phone: phone.phone };
  }
  return { ok: true, command: { customerId: request.customerId.toLowerCase(), lines: merged.lines, contact } };
}

/**
 * SHA-256 over a canonical form of the command. Two requests that place the same order (same customer,
 * same quantity of each SKU, same contact) have the same fingerprint even if the client reordered the
 * lines, split a SKU over two lines or formatted the phone differently: retrying them cannot place a
 * different order, so they are the same request. Anything that would change the order changes it.
 */
export function requestFingerprint(command: PlaceOrderCommand): string {
  const canonical = {
    customerId: command.customerId,
    lines: [...command.lines]
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
      .map((line) => [line.sku, line.quantity]),
    contact: [command.contact.email, command.contact.phone ?? null],
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
