/** CommitReservation: the order saga tells Inventory that the order is paid; reserved stock becomes sold. */
import { Type } from 'typebox';
import { Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';

export const CommitReservationV1 = defineEvent({
  type: 'CommitReservation',
  version: 1,
  kind: 'command',
  key: 'orderId',
  summary: "The order saga asks Inventory to turn the order's reserved stock into sold stock.",
  replies: ['ReservationCommitted'],
  schema: Type.Object(
    { orderId: Uuid('Order whose reservation is committed (reservations are keyed by order id).') },
    { additionalProperties: false },
  ),
  example: { orderId: EXAMPLE_ORDER_ID },
});
