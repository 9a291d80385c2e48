/**
 * The `processPayments` consumer (inbound adapter): hands each fetched batch of the saga's ChargePayment /
 * RefundPayment commands, on the transaction the consumer runner opened for it, to the use case
 * (app/process-payments.ts).
 */
import type { EventBatchHandler } from '@shop/platform';
import { type ProcessPaymentsDependencies, processPayments } from '../app/process-payments.ts';

export function createProcessPaymentsHandler(dependencies: ProcessPaymentsDependencies): EventBatchHandler {
  return (items, { client }) => processPayments(client, items, dependencies);
}
