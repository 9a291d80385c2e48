/**
 * Payload rules that JSON Schema cannot state, shared by several events. Each returns the first
 * violation with a JSON pointer into the payload, or `undefined`.
 */
import type { InvariantViolation } from './define-event.ts';

interface MoneyValue {
  readonly amountMinor: number;
  readonly currency: string;
}

/**
 * No two entries of `items` share a SKU. An order line per SKU keeps reservation, pricing and
 * notifications unambiguous; the Order Service merges duplicate lines before it publishes.
 */
export function distinctSkus(
  field: string,
  items: readonly { readonly sku: string }[],
): InvariantViolation | undefined {
  const firstIndex = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const seen = firstIndex.get(item.sku);
    if (seen !== undefined) {
      return { path: `/${field}/${index}/sku`, message: `repeats the SKU of entry ${seen}` };
    }
    firstIndex.set(item.sku, index);
  }
  return undefined;
}

/**
 * Every line price is in the total's currency and the total is the sum of quantity x unit price.
 * The total is carried (not only derivable) so that no consumer recomputes it with its own rounding.
 */
export function totalMatchesLines(
  lines: readonly { readonly quantity: number; readonly unitPrice: MoneyValue }[],
  total: MoneyValue,
): InvariantViolation | undefined {
  let sum = 0;
  for (const [index, line] of lines.entries()) {
    if (line.unitPrice.currency !== total.currency) {
      return { path: `/lines/${index}/unitPrice/currency`, message: `must equal /total/currency (${total.currency})` };
    }
    sum += line.quantity * line.unitPrice.amountMinor;
  }
  if (!Number.isSafeInteger(sum) || sum !== total.amountMinor) {
    return { path: '/total/amountMinor', message: `must equal the sum of quantity x unitPrice over /lines (${sum})` };
  }
  return undefined;
}
