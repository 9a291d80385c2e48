/**
 * settleReservations (use case): a batch of the order saga's CommitReservation and ReleaseReservation
 * commands in one transaction (the batch's, opened by the consumer runner with its inbox rows) with their
 * replies. One statement locks every reservation the batch names and the products
 * their units are in (see lockReservations for the order and why); the commands are then planned in memory
 * in array order (several commands for one order apply one after the other, each seeing the state the one
 * before left), and the writes follow as sets: the release tombstones, the status changes, one stock update,
 * one outbox insert. A repeated command moves nothing and is answered again (the saga may have missed the
 * first reply); see domain/reservation-lifecycle.ts for every case.
 */
import type { EventMeta } from '@shop/contracts';
import {
  type AnyAppendEventInput,
  BatchItemError,
  type BatchResult,
  type EventBatchItem,
  type EventWriter,
  type Logger,
  type PoolClient,
  type Rejection,
} from '@shop/platform';
import { applyStockDeltas, type StockDelta } from '../db/product-repository.ts';
import {
  insertReservations,
  lockReservations,
  type NewReservation,
  type ReservationTransition,
  setReservationStatuses,
} from '../db/reservation-repository.ts';
import {
  planCommit,
  planRelease,
  type ReservationStatus,
  type StockBucket,
  type StockMove,
} from '../domain/reservation-lifecycle.ts';
import { inventoryError } from '../errors.ts';
import type { InventoryMetrics, SettlementOutcome } from '../metrics.ts';

export interface SettleReservationsDependencies {
  events: EventWriter;
  metrics: InventoryMetrics;
}

/** One order's reservation as the batch's commands change it. */
interface OrderState {
  status: ReservationStatus | undefined;
  readonly lines: readonly { sku: string; quantity: number }[];
  /** Existed before the batch (its row is locked), as opposed to a tombstone written by the batch. */
  readonly existed: boolean;
  committed: boolean;
  released: boolean;
  /** The index and event of the release that records the order as never reserved. */
  tombstone?: { index: number; cause: EventMeta };
}

/** Runs on the batch's transaction (`client`); see the module comment for what it guarantees. */
export async function settleReservations(
  client: PoolClient,
  items: ReadonlyArray<EventBatchItem>,
  logger: Logger,
  { events, metrics }: SettleReservationsDependencies,
): Promise<BatchResult> {
  const rejected: Rejection[] = [];
  const commands: {
    index: number;
    command: 'commit' | 'release';
    orderId: string;
    cause: EventMeta;
  }[] = [];
  for (const item of items) {
    if (item.event.type === 'CommitReservation' || item.event.type === 'ReleaseReservation') {
      commands.push({
        index: item.index,
        command: item.event.type === 'CommitReservation' ? 'commit' : 'release',
        orderId: item.event.payload.orderId,
        cause: item.meta,
      });
    } else {
      rejected.push({
        index: item.index,
        error: inventoryError('INV_UNEXPECTED_EVENT', `settleReservations does not handle ${item.event.type}`),
      });
    }
  }
  if (commands.length === 0) return { rejected };

  const held = await lockReservations(
    client,
    commands.map((command) => command.orderId),
  );
  const orders = new Map<string, OrderState>();
  const stateOf = (orderId: string): OrderState => {
    let state = orders.get(orderId);
    if (state === undefined) {
      const reservation = held.get(orderId);
      state = {
        status: reservation?.status,
        lines: reservation?.lines ?? [],
        existed: reservation !== undefined,
        committed: false,
        released: false,
      };
      orders.set(orderId, state);
    }
    return state;
  };

  const stock = new StockDeltas();
  const replies: AnyAppendEventInput[] = [];
  const outcomes: { command: 'commit' | 'release'; outcome: SettlementOutcome }[] = [];
  for (const { index, command, orderId, cause } of commands) {
    const state = stateOf(orderId);
    if (command === 'commit') {
      const plan = planCommit(state.status);
      switch (plan.kind) {
        case 'commit':
          stock.move(state.lines, plan.move);
          state.status = plan.next;
          state.committed = true;
          outcomes.push({ command, outcome: 'applied' });
          break;
        case 'repeat':
          outcomes.push({ command, outcome: 'repeated' });
          break;
        case 'superseded':
          logger.info({ orderId }, 'CommitReservation after the reservation was released; nothing changes, no reply');
          outcomes.push({ command, outcome: 'superseded' });
          continue;
        case 'impossible':
          rejected.push({
            index,
            error: inventoryError('INV_NOTHING_TO_COMMIT', `Cannot commit order ${orderId}: ${plan.message}`, {
              details: { orderId, problem: plan.problem },
            }),
          });
          continue;
      }
      replies.push({ type: 'ReservationCommitted', payload: { orderId }, causedBy: { cause } });
    } else {
      const plan = planRelease(state.status);
      switch (plan.kind) {
        case 'release':
          stock.move(state.lines, plan.move);
          state.status = plan.next;
          state.released = true;
          outcomes.push({ command, outcome: 'applied' });
          break;
        case 'tombstone':
          logger.info({ orderId }, 'ReleaseReservation for an order never reserved; recorded as released');
          state.status = plan.next;
          state.tombstone = { index, cause };
          outcomes.push({ command, outcome: 'tombstone' });
          break;
        case 'nothing-held':
          outcomes.push({ command, outcome: 'nothing-held' });
          break;
      }
      replies.push({ type: 'ReservationReleased', payload: { orderId }, causedBy: { cause } });
    }
  }

  const transitions: ReservationTransition[] = [];
  const tombstones: (NewReservation & { index: number })[] = [];
  for (const [orderId, state] of orders) {
    if (state.existed && (state.committed || state.released)) {
      transitions.push({
        orderId,
        status: state.released ? 'RELEASED' : 'COMMITTED',
        committed: state.committed,
        released: state.released,
      });
    }
    if (state.tombstone !== undefined) {
      tombstones.push({
        index: state.tombstone.index,
        orderId,
        status: 'RELEASED',
        lines: [],
        createdByEventId: state.tombstone.cause.eventId,
      });
    }
  }
  // Tombstones before the status changes (see lockReservations): the insert may wait for a concurrent
  // reserve batch, which must then not be waiting for a reservation row this batch already changed.
  const inserted = await insertReservations(client, tombstones);
  const lost = tombstones.find((tombstone) => !inserted.has(tombstone.orderId));
  if (lost !== undefined) {
    // An OrderPlaced of this order was recorded by a concurrent transaction after our lock statement (which
    // saw no reservation), so this release and any later command of the order were planned on a state that
    // is not the order's. Run again, the item alone locks that reservation and releases it. Nothing of this
    // transaction is kept.
    throw new BatchItemError(
      lost.index,
      inventoryError(
        'INV_CONCURRENT_DECISION',
        `Order ${lost.orderId} was reserved by a concurrent transaction while this batch released it`,
        { details: { orderId: lost.orderId } },
      ),
    );
  }
  await setReservationStatuses(client, transitions);
  await applyStockDeltas(client, stock.deltas());
  await events.appendAll(client, replies);

  for (const { command, outcome } of outcomes) metrics.settlements.inc({ command, outcome });
  return { rejected };
}

/** The net change of every product's buckets over the batch's moves. */
class StockDeltas {
  readonly #bySku = new Map<string, StockDelta>();

  move(lines: readonly { sku: string; quantity: number }[], move: StockMove): void {
    for (const line of lines) {
      let delta = this.#bySku.get(line.sku);
      if (delta === undefined) {
        delta = { sku: line.sku, available: 0, reserved: 0, sold: 0 };
        this.#bySku.set(line.sku, delta);
      }
      add(delta, move.from, -line.quantity);
      add(delta, move.to, line.quantity);
    }
  }

  deltas(): StockDelta[] {
    return [...this.#bySku.values()];
  }
}

function add(delta: StockDelta, bucket: StockBucket, units: number): void {
  delta[bucket] += units;
}
