/**
 * The ports between the use cases, the long-polling requests and whatever wakes them
 * (db/settlement-wakeup-hub.ts): a wake-up is a hint to re-read the order, never the status itself.
 * Ports belong to the domain, which knows no database: the transaction is a type parameter (the
 * application's is a pool client).
 */

/** Wakes the requests waiting for orders once the transaction that changed them has ended. */
export interface SettlementWakeups<Transaction> {
  afterTransaction(transaction: Transaction, orderIds: readonly string[]): void;
}

/** Why a waiter woke: its order changed (or may have), its timeout passed, or the server is closing. */
export type WakeReason = 'notified' | 'timeout' | 'closing';

/** One waiting request's interest in one order. */
export interface SettlementSubscription {
  /**
   * Resolves at the next wake-up, or at once if one arrived since the previous call (so a wake-up between
   * reading the order and calling `next` is not lost), or with 'timeout' after `timeoutMs`.
   * 'closing' is final: every later call resolves with it at once.
   */
  next(timeoutMs: number): Promise<WakeReason>;
  close(): void;
}

/** What a waiting request needs (tests substitute scripted wake-ups). */
export interface SettlementSubscriptions {
  readonly subscriptions: number;
  subscribe(orderId: string): SettlementSubscription;
}
