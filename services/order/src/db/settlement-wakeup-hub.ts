/**
 * Wakes long-polling requests (`GET /orders/{id}?wait=`) when their order's status changes, without NOTIFY:
 * a transaction that sends NOTIFY takes a cluster-wide lock while it commits, so every settling commit of
 * every database on the server would queue behind the others.
 *
 * Two paths, and a waiter needs either one:
 * - in-process: code that changed orders on a pooled connection calls `afterTransaction(client, ids)`; the
 *   waiters of those orders are woken when that connection goes back to the pool, i.e. once its transaction
 *   has ended (committed, or rolled back: then the waiter re-reads, still finds PENDING and waits on);
 * - polling, for orders settled elsewhere (another instance of the service): while anyone waits, ONE
 *   statement every `pollMs` reads which of the waited-for orders that are due are no longer PENDING, and
 *   wakes theirs. A thousand waiters cost one query per tick, not a thousand. An order is due `pollMs`
 *   after its first waiter came, then at intervals growing by half up to MAX_SETTLEMENT_POLL_INTERVAL_MS:
 *   an overloaded stack whose orders take 30 s to settle read each waited-for order every 300 ms, a
 *   hundred index lookups per order, work that grew as the stack fell further behind (now about thirty).
 *
 * A wake-up is a hint to re-read the order, never the status itself: waiters always answer what they read.
 */
import type { Logger, Pool, PoolClient } from '@shop/platform';
import type {
  SettlementSubscription,
  SettlementSubscriptions,
  SettlementWakeups,
  WakeReason,
} from '../domain/settlement-wakeups.ts';

/** How often the waited-for orders are re-read while anyone waits (the cross-instance path). */
export const SETTLEMENT_POLL_MS = 300;
/** Longest interval between two polls of one waited-for order: the latest a waiter settled elsewhere wakes. */
export const MAX_SETTLEMENT_POLL_INTERVAL_MS = 1_000;
/** Each poll of a still PENDING order puts its next one this many times further away. */
const POLL_INTERVAL_GROWTH = 1.5;

interface WaitedOrder {
  readonly subscriptions: Set<Subscription>;
  dueAtMs: number;
  intervalMs: number;
}

class Subscription implements SettlementSubscription {
  #pending: 'notified' | 'closing' | undefined;
  #resolve: ((reason: WakeReason) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onClose: () => void;

  constructor(onClose: () => void, closing: boolean) {
    this.#onClose = onClose;
    if (closing) this.#pending = 'closing';
  }

  wake(reason: 'notified' | 'closing'): void {
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      this.#resolve = undefined;
      clearTimeout(this.#timer);
      resolve(reason);
    }
    if (reason === 'closing' || resolve === undefined) {
      if (this.#pending !== 'closing') this.#pending = reason;
    }
  }

  next(timeoutMs: number): Promise<WakeReason> {
    const pending = this.#pending;
    if (pending !== undefined) {
      if (pending !== 'closing') this.#pending = undefined;
      return Promise.resolve(pending);
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => {
        this.#resolve = undefined;
        resolve('timeout');
      }, timeoutMs);
    });
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#resolve?.('closing');
    this.#resolve = undefined;
    this.#onClose();
  }
}

export interface SettlementWakeupOptions {
  /** The service's pool: the poll reads through it, and its 'release' events end transactions. */
  pool: Pool;
  /**
   * Other pools whose transactions change orders (the consumers' pool): their 'release' events end
   * transactions too. Default: none.
   */
  otherPools?: readonly Pool[];
  logger: Logger;
  /** Default: SETTLEMENT_POLL_MS. */
  pollMs?: number;
}

export class SettlementWakeupHub implements SettlementSubscriptions, SettlementWakeups<PoolClient> {
  readonly #pool: Pool;
  readonly #releasePools: readonly Pool[];
  readonly #logger: Logger;
  readonly #pollMs: number;
  /** Per waited-for order, its waiters, and when the poll reads it next with the interval it was last given. */
  readonly #byOrder = new Map<string, WaitedOrder>();
  /** Orders changed by the transaction running on each checked-out connection, woken on its release. */
  readonly #afterRelease = new WeakMap<PoolClient, string[]>();
  readonly #onRelease = (_error: Error | undefined, client: PoolClient) => {
    const orderIds = this.#afterRelease.get(client);
    if (orderIds === undefined) return;
    this.#afterRelease.delete(client);
    this.wake(orderIds);
  };
  #count = 0;
  #closing = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(options: SettlementWakeupOptions) {
    this.#pool = options.pool;
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? SETTLEMENT_POLL_MS;
    this.#releasePools = [options.pool, ...(options.otherPools ?? [])];
    for (const pool of this.#releasePools) pool.on('release', this.#onRelease);
  }

  /** Subscriptions open now (waiting requests). */
  get subscriptions(): number {
    return this.#count;
  }

  subscribe(orderId: string): SettlementSubscription {
    let waited = this.#byOrder.get(orderId);
    if (waited === undefined) {
      waited = { subscriptions: new Set(), dueAtMs: performance.now() + this.#pollMs, intervalMs: this.#pollMs };
      this.#byOrder.set(orderId, waited);
    }
    const entry = waited;
    this.#count++;
    const subscription: Subscription = new Subscription(() => {
      if (!entry.subscriptions.delete(subscription)) return;
      this.#count--;
      if (entry.subscriptions.size === 0 && this.#byOrder.get(orderId) === entry) this.#byOrder.delete(orderId);
    }, this.#closing);
    entry.subscriptions.add(subscription);
    this.#schedulePoll();
    return subscription;
  }

  /**
   * Wakes the waiters of `orderIds` once the transaction on `client` (a connection checked out of one of
   * this hub's pools) has ended: when the connection is released.
   */
  afterTransaction(client: PoolClient, orderIds: readonly string[]): void {
    if (orderIds.length === 0) return;
    const pending = this.#afterRelease.get(client);
    if (pending === undefined) this.#afterRelease.set(client, [...orderIds]);
    else pending.push(...orderIds);
  }

  /** Wakes the waiters of `orderIds` now (their change is already committed). */
  wake(orderIds: Iterable<string>): void {
    for (const orderId of orderIds) {
      for (const subscription of this.#byOrder.get(orderId)?.subscriptions ?? []) subscription.wake('notified');
    }
  }

  /** Wakes every waiter for good so requests answer now (the HTTP server is closing). */
  releaseAll(): void {
    this.#closing = true;
    for (const { subscriptions } of this.#byOrder.values()) {
      for (const subscription of subscriptions) subscription.wake('closing');
    }
  }

  stop(): void {
    this.releaseAll();
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    for (const pool of this.#releasePools) pool.off('release', this.#onRelease);
  }

  #schedulePoll(): void {
    if (this.#pollTimer !== undefined || this.#polling || this.#closing) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      void this.#poll();
    }, this.#pollMs);
    this.#pollTimer.unref();
  }

  async #poll(): Promise<void> {
    if (this.#byOrder.size === 0 || this.#closing) return;
    const now = performance.now();
    const orderIds: string[] = [];
    for (const [orderId, due] of this.#byOrder) {
      if (due.dueAtMs > now) continue;
      orderIds.push(orderId);
      due.intervalMs = Math.min(due.intervalMs * POLL_INTERVAL_GROWTH, MAX_SETTLEMENT_POLL_INTERVAL_MS);
      due.dueAtMs = now + due.intervalMs;
    }
    if (orderIds.length === 0) {
      this.#schedulePoll();
      return;
    }
    this.#polling = true;
    try {
      // Named: planned once per connection, as it runs every tick.
      const { rows } = await this.#pool.query<{ id: string }>({
        name: 'order-settled-poll',
        text: `SELECT id FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
        values: [orderIds],
      });
      this.wake(rows.map((row) => row.id));
    } catch (error) {
      // Waiters still re-read at their own (slow) safety interval and answer when their wait ends.
      this.#logger.warn({ err: error }, 'settlement poll failed; retrying at the next tick');
    } finally {
      this.#polling = false;
    }
    if (this.#byOrder.size > 0) this.#schedulePoll();
  }
}
