/**
 * The life of a reservation after it was decided, driven by the order saga's commands. States only
 * move forward (RESERVED -> COMMITTED -> RELEASED, RESERVED -> RELEASED; FAILED is final), so a command
 * that arrives after a later one took effect (a commit overtaken by a release through a retry tier)
 * changes nothing, and a repeated command changes nothing but is answered again: the saga may have
 * missed the first answer.
 */

export const RESERVATION_STATUSES = ['RESERVED', 'COMMITTED', 'RELEASED', 'FAILED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** A stock bucket of a product. */
export type StockBucket = 'available' | 'reserved' | 'sold';

/** Every line's quantity moves from one bucket to another; total units never change. */
export interface StockMove {
  readonly from: StockBucket;
  readonly to: StockBucket;
}

export type CommitPlan =
  /** Reserved units become sold; reply ReservationCommitted. */
  | { readonly kind: 'commit'; readonly move: StockMove; readonly next: 'COMMITTED' }
  /** Already committed: move nothing, reply ReservationCommitted again. */
  | { readonly kind: 'repeat' }
  /**
   * Already released: the release was decided after this commit was sent and took effect first.
   * Move nothing and reply nothing: a "committed" reply would be false, and the saga, which sent the
   * release, is waiting for ReservationReleased (already published).
   */
  | { readonly kind: 'superseded' }
  /** Nothing was ever reserved for the order: no retry can make a commit valid. */
  | { readonly kind: 'impossible'; readonly problem: 'NOT_FOUND' | 'NOT_RESERVED'; readonly message: string };

/** What CommitReservation does to a reservation in `status` (undefined: no reservation for the order). */
export function planCommit(status: ReservationStatus | undefined): CommitPlan {
  switch (status) {
    case 'RESERVED':
      return { kind: 'commit', move: { from: 'reserved', to: 'sold' }, next: 'COMMITTED' };
    case 'COMMITTED':
      return { kind: 'repeat' };
    case 'RELEASED':
      return { kind: 'superseded' };
    case 'FAILED':
      return {
        kind: 'impossible',
        problem: 'NOT_RESERVED',
        message: 'the reservation failed, so nothing is held to commit',
      };
    case undefined:
      return { kind: 'impossible', problem: 'NOT_FOUND', message: 'no reservation exists for the order' };
  }
}

/** Every outcome of ReleaseReservation is answered with ReservationReleased (the contract's rule). */
export type ReleasePlan =
  /** Units held for the order go back to available. */
  | { readonly kind: 'release'; readonly move: StockMove; readonly next: 'RELEASED' }
  /** Nothing is held (already released, or the reservation failed): move nothing. */
  | { readonly kind: 'nothing-held' }
  /**
   * The order was never reserved: move nothing, but record it as RELEASED so an OrderPlaced that
   * arrives late (from a retry tier) finds the order settled and holds no stock that nobody would free.
   */
  | { readonly kind: 'tombstone'; readonly next: 'RELEASED' };

/** What ReleaseReservation does to a reservation in `status` (undefined: no reservation for the order). */
export function planRelease(status: ReservationStatus | undefined): ReleasePlan {
  switch (status) {
    case 'RESERVED':
      return { kind: 'release', move: { from: 'reserved', to: 'available' }, next: 'RELEASED' };
    case 'COMMITTED':
      // Cancellation after confirmation: sold units return to the shelf (contract: ReleaseReservation).
      return { kind: 'release', move: { from: 'sold', to: 'available' }, next: 'RELEASED' };
    case 'RELEASED':
    case 'FAILED':
      return { kind: 'nothing-held' };
    case undefined:
      return { kind: 'tombstone', next: 'RELEASED' };
  }
}
