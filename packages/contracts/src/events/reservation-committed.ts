/** ReservationCommitted: reply to CommitReservation; the order's units moved from reserved to sold. */
import { Type } from 'typebox';
import { Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';

export const ReservationCommittedV1 = defineEvent({
  type: 'ReservationCommitted',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: "Reply to CommitReservation: the order's units moved from reserved to sold.",
  schema: Type.Object({ orderId: Uuid('Order whose reservation was committed.') }, { additionalProperties: false }),
  example: { orderId: EXAMPLE_ORDER_ID },
});
