/**
 * Money in integer minor units (cents for EUR) with its ISO 4217 currency, as the contracts carry it.
 * Arithmetic is done in BigInt and checked against MAX_SAFE_MINOR, so a total is either exact or
 * refused: never rounded, never silently wrapped.
 */
import type { Money } from '@shop/contracts';

/** Largest amount that survives JSON in JavaScript exactly (the contracts' limit for `amountMinor`). */
export const MAX_SAFE_MINOR = Number.MAX_SAFE_INTEGER;

/** Why a sum of money could not be formed. */
export type MoneyProblem = 'MIXED_CURRENCIES' | 'AMOUNT_TOO_LARGE';

export type MoneyResult =
  | { readonly ok: true; readonly money: Money }
  | { readonly ok: false; readonly problem: MoneyProblem; readonly message: string };

/** One priced quantity: `quantity` units at `unitPrice` each. */
export interface PricedQuantity {
  readonly quantity: number;
  readonly unitPrice: Money;
}

/**
 * Sum of quantity x unit price over `items` (at least one). All items must share one currency: adding
 * EUR to USD has no meaning without an exchange rate, which the catalog does not have.
 */
export function totalOf(items: readonly PricedQuantity[]): MoneyResult {
  const first = items[0];
  if (first === undefined) throw new RangeError('totalOf needs at least one item');
  const currency = first.unitPrice.currency;
  let sum = 0n;
  for (const item of items) {
    if (item.unitPrice.currency !== currency) {
      const currencies = [...new Set(items.map((candidate) => candidate.unitPrice.currency))].sort();
      return {
        ok: false,
        problem: 'MIXED_CURRENCIES',
        message: `prices are in several currencies (${currencies.join(', ')}); one total needs one currency`,
      };
    }
    sum += BigInt(item.quantity) * BigInt(item.unitPrice.amountMinor);
  }
  if (sum > BigInt(MAX_SAFE_MINOR)) {
    return {
      ok: false,
      problem: 'AMOUNT_TOO_LARGE',
      message: `total ${sum} ${currency} (minor units) exceeds ${MAX_SAFE_MINOR}`,
    };
  }
  return { ok: true, money: { amountMinor: Number(sum), currency } };
}
