/**
 * Wakes long-polling requests when an order's status changes, across every instance of the service.
 *
 * The settling transaction sends `NOTIFY order_status, '<orderId>'`; PostgreSQL delivers it at commit to
 * every session listening on the channel. Each process holds ONE listening session and fans notifications
 * out to its waiting requests, so a thousand long-polls cost one connection, not a thousand.
 *
 * NOTIFY is only a hint (PITFALLS.md): a notification sent while this session was down is lost. So on every
 * (re)connect all waiters are woken to re-read, and callers also poll (slowly while connected, quickly
 * while not); a waiter never depends on a notification arriving.
 */
import { DB_CONNECT_TIMEOUT_MS } from '@shop/platform/db/pool';
import type { Logger } from '@shop/platform/logger';
import pg from 'pg';
import type { Queryable } from './order-repository.ts';

/** The channel the settling transaction notifies, with the order id as payload. */
export const ORDER_STATUS_CHANNEL = 'order_status';
/** First delay before reconnecting a lost listening session; doubles up to the maximum. */
export const LISTENER_RECONNECT_MIN_MS = 250;
export const LISTENER_RECONNECT_MAX_MS = 10_000;

/** Sends the status-change notification; delivered only if and when the caller's transaction commits. */
export async function notifyStatusChanged(client: Queryable, orderId: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [ORDER_STATUS_CHANNEL, orderId]);
}

/** Why a waiter woke: its order was notified (or the session reconnected), its timeout passed, or shutdown. */
export type WakeReason = 'notified' | 'timeout' | 'closing';

/** One waiting request's interest in one order. */
export interface StatusSubscription {
  /**
   * Resolves at the next wake-up, or at once if one arrived since the previous call (so a notification
   * between reading the order and calling `next` is not lost), or with 'timeout' after `timeoutMs`.
   * 'closing' is final: every later call resolves with it at once.
   */
  next(timeoutMs: number): Promise<WakeReason>;
  close(): void;
}

/** What a waiter needs from the listener (tests substitute a listener that is not connected). */
export interface StatusNotifications {
  readonly connected: boolean;
  readonly subscriptions: number;
  subscribe(orderId: string): StatusSubscription;
}

class Subscription implements StatusSubscription {
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

export interface OrderStatusListenerOptions {
  /** The service's database (notifications are per database). */
  databaseUrl: string;
  logger: Logger;
}

export class OrderStatusListener implements StatusNotifications {
  readonly #options: OrderStatusListenerOptions;
  readonly #byOrder = new Map<string, Set<Subscription>>();
  #count = 0;
  #session: pg.Client | undefined;
  #closing = false;
  #stopped = false;
  #backoffMs = LISTENER_RECONNECT_MIN_MS;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: OrderStatusListenerOptions) {
    this.#options = options;
  }

  /** True while the listening session is up (waiters may then poll slowly). */
  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Subscriptions open now (waiting requests). */
  get subscriptions(): number {
    return this.#count;
  }

  /** Opens the listening session. Never throws: while the database is unreachable it retries with backoff. */
  async start(): Promise<void> {
    await this.#connect();
  }

  subscribe(orderId: string): StatusSubscription {
    let set = this.#byOrder.get(orderId);
    if (set === undefined) {
      set = new Set();
      this.#byOrder.set(orderId, set);
    }
    const subscriptions = set;
    this.#count++;
    const subscription: Subscription = new Subscription(() => {
      if (!subscriptions.delete(subscription)) return;
      this.#count--;
      if (subscriptions.size === 0 && this.#byOrder.get(orderId) === subscriptions) this.#byOrder.delete(orderId);
    }, this.#closing);
    subscriptions.add(subscription);
    return subscription;
  }

  /** Wakes every waiter for good so requests answer now (the HTTP server is closing). */
  releaseAll(): void {
    this.#closing = true;
    this.#wakeAll('closing');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.releaseAll();
    clearTimeout(this.#reconnectTimer);
    const session = this.#session;
    this.#session = undefined;
    await session?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const session = new pg.Client({
      connectionString: this.#options.databaseUrl,
      connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
      application_name: 'order-service status listener',
    });
    session.on('notification', (message) => {
      if (message.channel !== ORDER_STATUS_CHANNEL || message.payload === undefined) return;
      for (const subscription of this.#byOrder.get(message.payload) ?? []) subscription.wake('notified');
    });
    // Registered before connecting: an 'error' event without a listener would crash the process.
    session.on('error', (error) => this.#lost(session, error));
    session.on('end', () => this.#lost(session));
    try {
      await session.connect();
      await session.query(`LISTEN ${ORDER_STATUS_CHANNEL}`);
    } catch (error) {
      await session.end().catch(() => {});
      this.#options.logger.warn({ err: error, retryInMs: this.#backoffMs }, 'order status listener cannot connect');
      this.#scheduleReconnect();
      return;
    }
    if (this.#stopped) {
      await session.end().catch(() => {});
      return;
    }
    this.#session = session;
    this.#backoffMs = LISTENER_RECONNECT_MIN_MS;
    // Whatever was notified while no session listened is lost: every waiter re-reads its order now.
    this.#wakeAll('notified');
  }

  #lost(session: pg.Client, error?: Error): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    void session.end().catch(() => {});
    if (this.#stopped) return;
    this.#options.logger.warn({ err: error }, 'order status listener lost its session; waiters poll until it is back');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, LISTENER_RECONNECT_MAX_MS);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  #wakeAll(reason: 'notified' | 'closing'): void {
    for (const set of this.#byOrder.values()) for (const subscription of set) subscription.wake(reason);
  }
}
