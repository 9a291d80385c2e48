/**
 * Money reconciliation of a load run: what the Payment Service captured and refunded must match
 * what the orders say, order by order. CONFIRMED: captured − refunded = the order's total. CANCELLED:
 * captured − refunded = 0 (a declined charge captures nothing; a cancellation refunds the capture). And no
 * order is captured twice. Read over HTTP (`GET /payments?orderId=`), like everything the tool checks.
 */
import type { Money } from '@shop/contracts';

/** An order as the reconciliation needs it. */
export interface SettledOrder {
  orderId: string;
  status: string;
  total?: Money;
}

/** `GET /payments?orderId=` as the Payment Service answers it. */
export interface OrderPayments {
  payments: Array<{ status: string; amount: Money; refunded: Money }>;
}

export interface PaymentReconciliation {
  ok: boolean;
  /** Orders checked (the settled ones). */
  checked: number;
  capturedMinor: number;
  refundedMinor: number;
  /** Sum of the CONFIRMED orders' totals: must equal captured − refunded. */
  confirmedTotalMinor: number;
  /** Orders whose money does not match their status (first few). */
  mismatches: Array<{ orderId: string; status: string; expectedMinor: number; netMinor: number; captures: number }>;
}

/** Orders listed in a report at most; the counts cover all of them. */
const MAX_LISTED_MISMATCHES = 20;

export function reconcilePayments(
  orders: readonly SettledOrder[],
  paymentsOf: ReadonlyMap<string, OrderPayments>,
): PaymentReconciliation {
  let capturedMinor = 0;
  let refundedMinor = 0;
  let confirmedTotalMinor = 0;
  const mismatches: PaymentReconciliation['mismatches'] = [];
  for (const order of orders) {
    const payments = paymentsOf.get(order.orderId)?.payments ?? [];
    const captured = payments.filter((payment) => payment.status !== 'DECLINED');
    const capturedHere = captured.reduce((sum, payment) => sum + payment.amount.amountMinor, 0);
    const refundedHere = captured.reduce((sum, payment) => sum + payment.refunded.amountMinor, 0);
    capturedMinor += capturedHere;
    refundedMinor += refundedHere;
    const expectedMinor = order.status === 'CONFIRMED' ? (order.total?.amountMinor ?? Number.NaN) : 0;
    if (order.status === 'CONFIRMED') confirmedTotalMinor += order.total?.amountMinor ?? 0;
    const netMinor = capturedHere - refundedHere;
    if (netMinor !== expectedMinor || captured.length > 1) {
      mismatches.push({
        orderId: order.orderId,
        status: order.status,
        expectedMinor,
        netMinor,
        captures: captured.length,
      });
    }
  }
  return {
    ok: mismatches.length === 0 && capturedMinor - refundedMinor === confirmedTotalMinor,
    checked: orders.length,
    capturedMinor,
    refundedMinor,
    confirmedTotalMinor,
    mismatches: mismatches.slice(0, MAX_LISTED_MISMATCHES),
  };
}
