/**
 * Order lines as the API receives them may name a SKU twice ("2 mugs", later "1 mug"); the OrderPlaced
 * contract requires one line per SKU, and a reservation is per SKU. Merging here, at the edge, keeps every
 * later step (event, reservation, confirmation) free of that case.
 */
import { MAX_QUANTITY_PER_LINE } from '@shop/contracts/values';
import type { OrderLine } from './order.ts';

export type MergeLinesResult =
  | { readonly ok: true; readonly lines: readonly OrderLine[] }
  | { readonly ok: false; readonly code: 'ORD_LINE_QUANTITY_TOO_LARGE'; readonly message: string };

/**
 * Sums the quantities of lines with the same SKU, keeping the position of each SKU's first line.
 * Fails when a merged quantity exceeds the contract's per-line maximum (each input line was within it).
 * SKUs are case-sensitive (contract), so `mug` and `MUG` stay two lines.
 */
export function mergeLines(lines: readonly OrderLine[]): MergeLinesResult {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  for (const [sku, quantity] of merged) {
    if (quantity > MAX_QUANTITY_PER_LINE) {
      return {
        ok: false,
        code: 'ORD_LINE_QUANTITY_TOO_LARGE',
        message: `${sku}: ${quantity} units in total across its lines; at most ${MAX_QUANTITY_PER_LINE} per SKU`,
      };
    }
  }
  return { ok: true, lines: [...merged].map(([sku, quantity]) => ({ sku, quantity })) };
}

/** True when both hold the same quantity of the same SKUs, whatever the order of the lines. */
export function sameLines(
  a: readonly { sku: string; quantity: number }[],
  b: readonly { sku: string; quantity: number }[],
): boolean {
  if (a.length !== b.length) return false;
  const quantities = new Map(a.map((line) => [line.sku, line.quantity]));
  return b.every((line) => quantities.get(line.sku) === line.quantity);
}
