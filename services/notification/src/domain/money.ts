/**
 * Money for humans: integer minor units and an ISO 4217 code, formatted without floating point (the
 * amount is split with BigInt, so 9007199254740991 minor units print exactly).
 *
 * ICU formatters are costly to build (a `new Intl.NumberFormat` or a `toLocaleString` call builds one each
 * time): they are built once per currency and reused, which took formatting from a tenth of a millisecond
 * per notification to microseconds.
 */
import type { Money } from '@shop/contracts';

const digitsByCurrency = new Map<string, number>();
const GROUPED_INTEGER = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** Minor-unit digits of `currency` (EUR 2, JPY 0, BHD 3) as ICU knows them; 2 for codes ICU does not know. */
export function minorUnitDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** `EUR 1,234.50`, `JPY 1,200`: the currency code, then the amount with its minor unit digits. */
export function formatMoney(money: Money): string {
  const digits = minorUnitDigits(money.currency);
  const minor = BigInt(money.amountMinor);
  const scale = 10n ** BigInt(digits);
  const whole = GROUPED_INTEGER.format(minor / scale);
  const fraction = digits === 0 ? '' : `.${(minor % scale).toString().padStart(digits, '0')}`;
  return `${money.currency} ${whole}${fraction}`;
}
