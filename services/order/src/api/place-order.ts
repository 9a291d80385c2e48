/**
 * Places an order: the idempotency claim, the order and its saga, and the OrderPlaced event commit in ONE
 * statement (one round trip, one implicit transaction). Either the customer's order exists and Inventory
 * will hear of it, or neither.
 */
import { randomUUID } from 'node:crypto';
import type { EventWriter } from '@shop/platform/events/event-writer';
import { placeOrderAtomically, type Queryable } from '../db/order-repository.ts';
import { INITIAL_SAGA } from '../domain/order-saga.ts';
import { type PlaceOrderCommand, requestFingerprint } from '../domain/place-order.ts';
import { orderError } from '../errors.ts';

export interface PlaceOrderDependencies {
  /** The pool (or anything that runs one statement as its own transaction). */
  pool: Queryable;
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
  // The lines only: OrderPlaced goes to Inventory, which never sees who ordered (contracts, personal data).
  // Encoded (and validated) before anything is written; a replayed request simply does not write it.
  const placed = dependencies.events.encode({
    type: 'OrderPlaced',
    payload: { orderId, lines: command.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })) },
    causedBy: { correlationId: orderId },
  });
  const fingerprint = idempotencyKey === undefined ? undefined : requestFingerprint(command);
  // On the pool, outside an explicit transaction: the one statement is its own transaction, so placing an
  // order costs one round trip and no connection is held between statements.
  const result = await placeOrderAtomically(dependencies.pool, {
    id: orderId,
    command,
    saga: {
      state: INITIAL_SAGA.state,
      step: INITIAL_SAGA.step,
      deadlineAt: new Date(Date.now() + dependencies.reservationTimeoutMs),
    },
    ...(idempotencyKey === undefined || fingerprint === undefined
      ? {}
      : { idempotency: { key: idempotencyKey, fingerprint } }),
    placed: placed.message,
  });
  if (result.placed) return { orderId, replayed: false };
  if (result.fingerprint !== fingerprint) {
    throw orderError(
      'ORD_IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different order; use a new key for a new order',
    );
  }
  return { orderId: result.orderId, replayed: true };
}
