/**
 * ReleaseReservation: compensation. The order saga asks Inventory to give back whatever it holds for
 * the order: reserved units return to available, and so do sold units when the reservation had been
 * committed (customer cancellation after confirmation). Releasing an order with nothing held is a
 * no-op that is still answered, so the saga can always advance.
 */
import { Type } from 'typebox';
import { Uuid } from '../values.ts';
import { defineEvent } from './define-event.ts';
import { EXAMPLE_ORDER_ID } from './examples.ts';

export const ReleaseReservationV1 = defineEvent({
  type: 'ReleaseReservation',
  version: 1,
  kind: 'command',
  key: 'orderId',
  summary: "Compensation: the order saga asks Inventory to return the order's stock to available.",
  replies: ['ReservationReleased'],
  schema: Type.Object({ orderId: Uuid('Order whose stock is released.') }, { additionalProperties: false }),
  example: { orderId: EXAMPLE_ORDER_ID },
});
