/**
 * Places an order: the idempotency claim, the order and its saga, and the OrderPlaced event commit in ONE
 * transaction. Either the customer's order exists and Inventory will hear of it, or neither.
 */
import { randomUUID } from 'node:crypto';
import { inTransaction, type Pool } from '@shop/platform/db/pool';
import type { EventWriter } from '@shop/platform/events/event-writer';
import { claimIdempotencyKey, insertOrder, startSagaStep } from '../db/order-repository.ts';
import { INITIAL_SAGA } from '../domain/order-saga.ts';
import { type PlaceOrderCommand, requestFingerprint } from '../domain/place-order.ts';
import { orderError } from '../errors.ts';

export interface PlaceOrderDependencies {
  pool: Pool;
  events: EventWriter;
  /** How long Inventory may take to answer OrderPlaced (the reservation step's deadline). */
  reservationTimeoutMs: number;
}

export interface PlacedOrder {
  orderId: string;
  /** True when an earlier request with the same Idempotency-Key placed it. */
  replayed: boolean;
}

export async function placeOrder(
  dependencies: PlaceOrderDependencies,
  command: PlaceOrderCommand,
  idempotencyKey: string | undefined,
): Promise<PlacedOrder> {
  const orderId = randomUUID();
  return inTransaction(dependencies.pool, async (client) => {
    if (idempotencyKey !== undefined) {
      const fingerprint = requestFingerprint(command);
      const claim = await claimIdempotencyKey(client, {
        customerId: command.customerId,
        key: idempotencyKey,
        fingerprint,
        orderId,
      });
      if (!claim.claimed) {
        if (claim.fingerprint !== fingerprint) {
          throw orderError(
            'ORD_IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was already used for a different order; use a new key for a new order',
          );
        }
        return { orderId: claim.orderId, replayed: true };
      }
    }
    await insertOrder(client, { id: orderId, command, saga: { state: INITIAL_SAGA.state } });
    // The lines only: OrderPlaced goes to Inventory, which never sees who ordered (contracts, personal data).
    const placed = await dependencies.events.append(client, {
      type: 'OrderPlaced',
      payload: { orderId, lines: command.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })) },
      causedBy: { correlationId: orderId },
    });
    await startSagaStep(client, {
      orderId,
      step: INITIAL_SAGA.step,
      requestEventId: placed.eventId,
      deadlineAt: new Date(Date.now() + dependencies.reservationTimeoutMs),
    });
    return { orderId, replayed: false };
  });
}
