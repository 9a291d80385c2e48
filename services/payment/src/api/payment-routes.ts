/** HTTP: `GET /payments?orderId=<uuid>`, the payments and refunds of one order (support and reconciliation). */
import { type Pool, routeErrors } from '@shop/platform';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { type PaymentRecord, paymentsOfOrder, type RefundRecord, refundsOfOrder } from '../db/payment-repository.ts';
import { PAYMENT_ERRORS } from '../errors.ts';

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export const PaymentsQuery = Type.Object(
  { orderId: Type.String({ pattern: UUID_PATTERN, description: 'Order whose payments are listed.' }) },
  { additionalProperties: false },
);

export interface PaymentRoutesOptions {
  pool: Pool;
}

export function registerPaymentRoutes(app: FastifyInstance, { pool }: PaymentRoutesOptions): void {
  app.get(
    '/payments',
    { schema: { querystring: PaymentsQuery }, config: { errors: routeErrors(PAYMENT_ERRORS), access: ['operator'] } },
    async (request) => {
      const { orderId } = request.query as Static<typeof PaymentsQuery>;
      const [payments, refunds] = await Promise.all([paymentsOfOrder(pool, orderId), refundsOfOrder(pool, orderId)]);
      return { orderId, payments: payments.map(paymentView), refunds: refunds.map(refundView) };
    },
  );
}

function paymentView(payment: PaymentRecord) {
  return {
    paymentId: payment.paymentId,
    status: payment.status,
    amount: payment.amount,
    refunded: { amountMinor: payment.refundedMinor, currency: payment.amount.currency },
    ...(payment.declineReason === null ? {} : { declineReason: payment.declineReason }),
    createdAt: payment.createdAt.toISOString(),
  };
}

function refundView(refund: RefundRecord) {
  return {
    refundId: refund.refundId,
    paymentId: refund.paymentId,
    requested: { amountMinor: refund.requestedMinor, currency: refund.amount.currency },
    amount: refund.amount,
    createdAt: refund.createdAt.toISOString(),
  };
}
