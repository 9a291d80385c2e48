/**
 * Long-polling `GET /orders/{id}?wait=`: answer as soon as the order leaves PENDING, or when the wait ends.
 * No database connection is held while waiting: the order is re-read only when woken (by the in-process
 * wake-up after a settling transaction, or by the hub's poll for orders settled elsewhere), or at a slow
 * safety interval of its own.
 */
import type { SettlementSubscriptions } from '../domain/settlement-wakeups.ts';

/** Longest `?wait=` accepted, in seconds: below common proxy idle timeouts (60 s). */
export const MAX_WAIT_SECONDS = 30;
/**
 * A waiter's own re-read interval. The hub wakes it within its poll interval whoever settled the order; this
 * only covers a hub whose poll keeps failing, so it can be slow.
 */
export const WAIT_SAFETY_POLL_MS = 5_000;
/** Most requests waiting at once per process; past it a request answers at once (its client falls back to Retry-After). */
export const MAX_WAITERS = 10_000;

export interface AwaitSettlementOptions<T extends { readonly status: string }> {
  orderId: string;
  /** How long to wait for a final status; 0 answers at once. */
  waitMs: number;
  /** Reads the order, as it is to be answered (one short query per wake-up). */
  find(): Promise<T | undefined>;
  wakeups: SettlementSubscriptions;
  /** Default: WAIT_SAFETY_POLL_MS. */
  safetyPollMs?: number;
}

/** The order once it is final, or as it is when the wait ends; `undefined` when it does not exist. */
export async function awaitSettlement<T extends { readonly status: string }>(
  options: AwaitSettlementOptions<T>,
): Promise<T | undefined> {
  const { wakeups } = options;
  if (options.waitMs <= 0 || wakeups.subscriptions >= MAX_WAITERS) return options.find();
  const deadline = performance.now() + options.waitMs;
  // Subscribe before the first read: a settlement committed between the read and the wait still wakes us.
  const subscription = wakeups.subscribe(options.orderId);
  try {
    while (true) {
      const order = await options.find();
      if (order === undefined || order.status !== 'PENDING') return order;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return order;
      const woke = await subscription.next(Math.min(remaining, options.safetyPollMs ?? WAIT_SAFETY_POLL_MS));
      if (woke === 'closing') return options.find();
    }
  } finally {
    subscription.close();
  }
}
