/**
 * How much a refund may return. Invariant: the sum of all refunds of a charge never exceeds what was
 * captured, whatever the requests ask for and in whatever order they arrive.
 */

/** Never negative: a request for more than is left is cut to what is left, and nothing left means 0. */
export function refundableAmount(capturedMinor: number, alreadyRefundedMinor: number, requestedMinor: number): number {
  const left = Math.max(0, capturedMinor - alreadyRefundedMinor);
  return Math.max(0, Math.min(left, requestedMinor));
}
