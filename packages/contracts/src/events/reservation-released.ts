/** ReservationReleased: reply to ReleaseReservation; nothing is held for the order any more. */
import { Type } from 'typebox';
import { Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';

export const ReservationReleasedV1 = defineEvent({
  type: 'ReservationReleased',
  version: 1,
  kind: 'event',
  key: 'orderId',
  summary: 'Reply to ReleaseReservation: nothing is held for the order any more (also when nothing was).',
  schema: Type.Object({ orderId: Uuid('Order whose stock was released.') }, { additionalProperties: false }),
  example: { orderId: EXAMPLE_ORDER_ID },
});
