/**
 * settleReservations: the order saga's CommitReservation and ReleaseReservation, each in one
 * transaction with its reply. The reservation row is locked first, so commands for one order apply one
 * after the other; product rows are then locked in SKU order, like every multi-product transaction.
 * A repeated command moves nothing and is answered again (the saga may have missed the first reply);
 * see domain/reservation-lifecycle.ts for every case.
 */
import type { EventMeta } from '@shop/contracts';
import type { PoolClient } from '@shop/platform/db/pool';
import { platformError } from '@shop/platform/errors';
import type { EventHandler } from '@shop/platform/events/catalog-consumer';
import type { EventWriter } from '@shop/platform/events/event-writer';
import type { Logger } from '@shop/platform/logger';
import { lockProducts, moveStock } from '../db/product-repository.ts';
import { insertReservation, lockReservation, setReservationStatus } from '../db/reservation-repository.ts';
import { planCommit, planRelease } from '../domain/reservation-lifecycle.ts';
import { inventoryError } from '../inventory-errors.ts';
import type { InventoryMetrics } from './inventory-metrics.ts';

export interface SettleReservationsDependencies {
  events: EventWriter;
  metrics: InventoryMetrics;
}

export function createSettleReservationsHandler(dependencies: SettleReservationsDependencies): EventHandler {
  return async (event, context) => {
    switch (event.type) {
      case 'CommitReservation':
        return commitReservation(context.client, event.payload.orderId, context.meta, context.logger, dependencies);
      case 'ReleaseReservation':
        return releaseReservation(context.client, event.payload.orderId, context.meta, context.logger, dependencies);
      default:
        throw inventoryError('INV_UNEXPECTED_EVENT', `settleReservations does not handle ${event.type}`);
    }
  };
}

/** CommitReservation: reserved units become sold; replies ReservationCommitted. */
export async function commitReservation(
  client: PoolClient,
  orderId: string,
  cause: EventMeta,
  logger: Logger,
  { events, metrics }: SettleReservationsDependencies,
): Promise<void> {
  const held = await lockReservation(client, orderId);
  const plan = planCommit(held?.status);
  switch (plan.kind) {
    case 'commit': {
      const lines = held?.lines ?? [];
      await lockProducts(
        client,
        lines.map((line) => line.sku),
      );
      await moveStock(client, lines, plan.move);
      await setReservationStatus(client, orderId, plan.next);
      metrics.settlements.inc({ command: 'commit', outcome: 'applied' });
      break;
    }
    case 'repeat':
      metrics.settlements.inc({ command: 'commit', outcome: 'repeated' });
      break;
    case 'superseded':
      logger.info({ orderId }, 'CommitReservation after the reservation was released; nothing changes, no reply');
      metrics.settlements.inc({ command: 'commit', outcome: 'superseded' });
      return;
    case 'impossible':
      throw inventoryError('INV_NOTHING_TO_COMMIT', `Cannot commit order ${orderId}: ${plan.message}`, {
        details: { orderId, problem: plan.problem },
      });
  }
  await events.append(client, { type: 'ReservationCommitted', payload: { orderId }, causedBy: { cause } });
}

/**
 * Attempts at planning a release: a tombstone insert can lose to a concurrent OrderPlaced for the same
 * order (another consumer), and the second plan then sees that reservation. Two always suffice, since a
 * reservation, once there, is never deleted.
 */
const RELEASE_PLAN_ATTEMPTS = 2;

/** ReleaseReservation: whatever is held for the order returns to available; always replies ReservationReleased. */
export async function releaseReservation(
  client: PoolClient,
  orderId: string,
  cause: EventMeta,
  logger: Logger,
  { events, metrics }: SettleReservationsDependencies,
): Promise<void> {
  for (let attempt = 1; attempt <= RELEASE_PLAN_ATTEMPTS; attempt++) {
    const held = await lockReservation(client, orderId);
    const plan = planRelease(held?.status);
    if (plan.kind === 'tombstone') {
      const inserted = await insertReservation(client, {
        orderId,
        status: plan.next,
        lines: [],
        createdByEventId: cause.eventId,
      });
      if (!inserted) continue;
      logger.info({ orderId }, 'ReleaseReservation for an order never reserved; recorded as released');
      metrics.settlements.inc({ command: 'release', outcome: 'tombstone' });
    } else if (plan.kind === 'release') {
      const lines = held?.lines ?? [];
      await lockProducts(
        client,
        lines.map((line) => line.sku),
      );
      await moveStock(client, lines, plan.move);
      await setReservationStatus(client, orderId, plan.next);
      metrics.settlements.inc({ command: 'release', outcome: 'applied' });
    } else {
      metrics.settlements.inc({ command: 'release', outcome: 'nothing-held' });
    }
    await events.append(client, { type: 'ReservationReleased', payload: { orderId }, causedBy: { cause } });
    return;
  }
  throw platformError('PLT_UNEXPECTED', `Release of order ${orderId} found no stable reservation state`);
}
