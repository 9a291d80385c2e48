/**
 * Deciding a reservation: given an order's lines and the current stock of the products they name,
 * either every line is reserved (priced, with the total) or none is, and every line that prevents it
 * is reported with its reason. Pure: the caller reads the stock (with the rows locked) and applies the
 * decision in the same transaction, so the stock cannot change in between.
 */
import type { Money } from '@shop/contracts';
import { type MoneyProblem, totalOf } from './money.ts';

/** One line of an order: how many units of which product. */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** What the decision needs to know about one product. */
export interface ProductStock {
  readonly sku: string;
  readonly available: number;
  readonly unitPrice: Money;
}

/** A reserved line, priced by the catalog at the time of the reservation. */
export interface ReservedLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/** A line that could not be reserved; the shapes are the InventoryFailed contract's. */
export type LineFailure =
  | { readonly sku: string; readonly reason: 'UNKNOWN_SKU'; readonly requested: number }
  | {
      readonly sku: string;
      readonly reason: 'INSUFFICIENT_STOCK';
      readonly requested: number;
      readonly available: number;
    };

/** Why an order cannot be decided at all: no reservation and no failure event can describe it. */
export type RejectionProblem = MoneyProblem | 'NO_LINES' | 'DUPLICATE_SKU' | 'INVALID_QUANTITY';

export type ReservationDecision =
  /** Every line is available: move each line's quantity from available to reserved. */
  | { readonly outcome: 'RESERVED'; readonly lines: readonly ReservedLine[]; readonly total: Money }
  /** At least one line is not available: reserve nothing; `failures` lists every such line, in order. */
  | { readonly outcome: 'FAILED'; readonly failures: readonly LineFailure[] }
  /**
   * The order itself is malformed (the contract's validation should have stopped it) or cannot be
   * totalled (prices in several currencies). Retrying cannot change it.
   */
  | { readonly outcome: 'REJECTED'; readonly problem: RejectionProblem; readonly message: string };

/**
 * Decides the reservation of `lines` against `stock` (keyed by SKU; a SKU missing from it is unknown).
 * All or nothing: a single failing line fails the order, and the failures list every failing line so
 * the customer learns everything that is missing at once.
 */
export function decideReservation(
  lines: readonly OrderLine[],
  stock: ReadonlyMap<string, ProductStock>,
): ReservationDecision {
  if (lines.length === 0) return { outcome: 'REJECTED', problem: 'NO_LINES', message: 'the order has no lines' };
  const seen = new Set<string>();
  for (const line of lines) {
    if (seen.has(line.sku)) {
      return { outcome: 'REJECTED', problem: 'DUPLICATE_SKU', message: `SKU ${line.sku} appears on several lines` };
    }
    seen.add(line.sku);
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      return {
        outcome: 'REJECTED',
        problem: 'INVALID_QUANTITY',
        message: `line ${line.sku} has quantity ${line.quantity}; quantities are positive integers`,
      };
    }
  }

  const failures: LineFailure[] = [];
  const reserved: ReservedLine[] = [];
  for (const line of lines) {
    const product = stock.get(line.sku);
    if (product === undefined) {
      failures.push({ sku: line.sku, reason: 'UNKNOWN_SKU', requested: line.quantity });
    } else if (product.available < line.quantity) {
      failures.push({
        sku: line.sku,
        reason: 'INSUFFICIENT_STOCK',
        requested: line.quantity,
        available: product.available,
      });
    } else {
      reserved.push({ sku: line.sku, quantity: line.quantity, unitPrice: product.unitPrice });
    }
  }
  if (failures.length > 0) return { outcome: 'FAILED', failures };

  const total = totalOf(reserved);
  if (!total.ok) return { outcome: 'REJECTED', problem: total.problem, message: total.message };
  return { outcome: 'RESERVED', lines: reserved, total: total.money };
}
