/**
 * Phone numbers arrive as people type them; SMS providers and the contract want E.164 (`+` and at most
 * 15 digits). Only unambiguous forms are normalised: separators are dropped and an international `00`
 * prefix becomes `+`. A number without a country code is refused rather than guessed: assuming a country
 * would text a stranger.
 */
import { E164_PATTERN } from '@shop/contracts/values';

/** Longest phone input accepted before normalisation (15 digits plus generous separators). */
export const MAX_PHONE_INPUT_LENGTH = 32;

/** Characters people use to group digits: space, hyphen, dot, parentheses. */
const SEPARATORS = /[\s().-]/g;
const E164 = new RegExp(E164_PATTERN);

export type PhoneResult =
  | { readonly ok: true; readonly phone: string }
  | { readonly ok: false; readonly code: 'ORD_INVALID_PHONE'; readonly message: string };

export function normalisePhone(raw: string): PhoneResult {
  if (raw.length > MAX_PHONE_INPUT_LENGTH) {
    return {
      ok: false,
      code: 'ORD_INVALID_PHONE',
      message: `phone is longer than ${MAX_PHONE_INPUT_LENGTH} characters`,
    };
  }
  let phone = raw.replace(SEPARATORS, '');
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`;
  if (!E164.test(phone)) {
    return {
      ok: false,
      code: 'ORD_INVALID_PHONE',
      message: 'phone must be an international number with its country code, e.g. +441632960961',
    };
  }
  return { ok: true, phone };
}
