/**
 * The text a customer reads when an order is cancelled for lack of stock. It names the lines that failed
 * (InventoryFailed lists every one) and stays within the contract's reason length, so a 100-line order
 * cannot produce an event that fails validation.
 */
import { MAX_REASON_MESSAGE_LENGTH } from '@shop/contracts/values';
import type { CancelReason } from './order.ts';

/** One failed line, as InventoryFailed reports it. */
export type LineFailure =
  | { readonly sku: string; readonly reason: 'UNKNOWN_SKU'; readonly requested: number }
  | {
      readonly sku: string;
      readonly reason: 'INSUFFICIENT_STOCK';
      readonly requested: number;
      readonly available: number;
    };

const PREFIX = 'Some items are unavailable, so nothing was reserved and you have not been charged: ';

function describe(failure: LineFailure): string {
  if (failure.reason === 'UNKNOWN_SKU') return `${failure.sku} is not sold here`;
  return failure.available === 0
    ? `${failure.sku} is out of stock`
    : `${failure.sku}: ${failure.requested} ordered, only ${failure.available} available`;
}

/** `ITEMS_UNAVAILABLE` with every failed line that fits; the rest are counted ("and 3 more"). */
export function itemsUnavailableReason(failures: readonly LineFailure[]): CancelReason {
  const parts = failures.map(describe);
  let shown = parts.length;
  const render = (count: number) => {
    const rest = parts.length - count;
    return `${PREFIX}${parts.slice(0, count).join('; ')}${rest > 0 ? `; and ${rest} more` : ''}.`;
  };
  while (shown > 0 && render(shown).length > MAX_REASON_MESSAGE_LENGTH) shown--;
  const message = render(shown);
  return {
    code: 'ITEMS_UNAVAILABLE',
    message:
      message.length > MAX_REASON_MESSAGE_LENGTH ? `${message.slice(0, MAX_REASON_MESSAGE_LENGTH - 1)}…` : message,
  };
}
