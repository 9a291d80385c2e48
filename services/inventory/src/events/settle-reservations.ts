/**
 * The `settleReservations` consumer (inbound adapter): hands each fetched batch of the saga's
 * CommitReservation / ReleaseReservation commands, on the transaction the consumer runner opened for it,
 * to the use case (app/settle-reservations.ts).
 */
import type { EventBatchHandler } from '@shop/platform';
import { type SettleReservationsDependencies, settleReservations } from '../app/settle-reservations.ts';

export function createSettleReservationsHandler(dependencies: SettleReservationsDependencies): EventBatchHandler {
  return (items, context) => settleReservations(context.client, items, context.logger, dependencies);
}
