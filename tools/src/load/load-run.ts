import { randomUUID } from 'node:crypto';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.ts';
import { runOpenModel } from './open-model.ts';
import { type OrderPayments, type PaymentReconciliation, reconcilePayments } from './payment-reconciliation.ts';
import {
  awaitOrder,
  listProducts,
  mintCustomerTokens,
  notificationsOf,
  type OrderView,
  type Product,
  paymentsOf,
  placeOrder,
  type StackUrls,
  setAvailable,
} from './stack-client.ts';

/**
 * Orders are spread over this many customers (the list endpoint and the key space stay realistic). Enough
 * that 500 orders/s is 3 orders a minute per customer, ten times below the Order Service's default rate
 * limit per customer (ORDER_RATE_LIMIT_MAX, 30 a minute): the run measures the stack, never the limit.
 */
const CUSTOMER_POOL = 10_000;
const MAX_LINES_PER_LOAD_ORDER = 3;
const MAX_QUANTITY_PER_LOAD_LINE = 2;
/** Longest long-poll per request; an order still PENDING is polled again until the drain deadline. */
const AWAIT_SECONDS = 30;
/** Concurrent requests while reconciling (one GET per order). */
const RECONCILE_CONCURRENCY = 32;
const FINAL_STATUSES = new Set(['CONFIRMED', 'CANCELLED']);
/** How long after the orders settled their notifications may still be on their way. */
const NOTIFICATION_SETTLE_TIMEOUT_MS = 30_000;
const NOTIFICATION_RECHECK_MS = 500;
/** Products with fewer units than this are treated as scarce and never restocked by the tool. */
const SCARCE_STOCK_LIMIT = 100;

export interface LoadOptions {
  urls: StackUrls;
  rate: number;
  durationSeconds: number;
  /** After the last order was sent, how long to wait for every order to settle. */
  drainSeconds: number;
  /** Share of orders that ask for a SKU with little stock, so both outcomes occur. 0–1. */
  scarceShare: number;
  /** Reconcile notifications too (one GET per settled order). */
  checkNotifications: boolean;
  onProgress?(progress: LoadProgress): void;
  /** Called once, when the first order is about to be sent (the timeline's second 0). */
  onStart?(at: Date): void;
  /** Called once, when every order is final (or the drain ended), before the reconciliation starts. */
  onSettled?(at: Date): void;
}

export interface LoadProgress {
  elapsedSeconds: number;
  sent: number;
  accepted: number;
  completed: number;
  inFlight: number;
  errors: number;
  currentP99Ms: number | undefined;
}

export interface LoadReport {
  startedAt: string;
  options: { rate: number; durationSeconds: number; drainSeconds: number; scarceShare: number };
  sent: number;
  accepted: number;
  rejected: number;
  errors: Record<string, number>;
  /** Refusals by the answer's error code (`ORD_OVERLOADED`, `ORD_INVENTORY_UNAVAILABLE`, …; `none` without one). */
  refusals: Record<string, number>;
  completed: { confirmed: number; cancelled: number; pendingAtEnd: number };
  throughput: { acceptedPerSecond: number; completedPerSecond: number };
  /** Placed → final, from the Order Service's own timestamps (createdAt → settledAt). */
  placedToFinalMs: LatencySummary;
  /** POST /orders round trip seen by the client. */
  acceptMs: LatencySummary;
  /** Per-second series for the chart. */
  timeline: Array<{
    second: number;
    sent: number;
    /** Of the orders sent in this second, how many the Order Service accepted (2xx, or 409 out of stock). */
    accepted: number;
    completed: number;
    /** When the last of the orders sent in this second was seen final (seconds since the start), if any was. */
    lastFinalSecond: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
  }>;
  reconciliation: Reconciliation;
  /**
   * CPU the generator itself used while sending and awaiting (reconciliation excluded): it shares the
   * machine with the stack, so a costly generator lowers what the stack can do.
   */
  generatorCpu: { userSeconds: number; systemSeconds: number; shareOfOneCore: number };
}

export interface Reconciliation {
  ok: boolean;
  everyAcceptedOrderFinal: boolean;
  unsettledOrderIds: string[];
  stockConserved: boolean;
  stockDifferences: Array<{ sku: string; before: number; after: number }>;
  notificationsChecked: boolean;
  ordersWithWrongNotificationCount: Array<{ orderId: string; perChannel: Record<string, number> }>;
  /** Captured − refunded per order against its status and total (the payment saga). */
  payments: PaymentReconciliation;
}

/** The error code of a refusal's body, `none` when it has none. */
function refusalCode(body: string): string {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? 'none';
  } catch {
    return 'none';
  }
}

/** The order id of an accepted order's answer; undefined for a refusal. */
function parseAnswer(status: number, body: string): { orderId: string } | undefined {
  if (status === 202 || status === 201) return JSON.parse(body) as { orderId: string };
  if (status !== 409) return undefined;
  const refused = JSON.parse(body) as { error?: { code?: string; details?: { orderId?: string } } };
  const orderId = refused.error?.details?.orderId;
  return refused.error?.code === 'ORD_OUT_OF_STOCK' && orderId !== undefined ? { orderId } : undefined;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * The distinct SKUs of one load order: 1 to MAX_LINES_PER_LOAD_ORDER lines (never more than there are
 * plentiful SKUs, or the draw would never end), and with probability `scarceShare` one scarce SKU.
 */
export function chooseSkus(
  plentiful: readonly string[],
  scarce: readonly string[],
  scarceShare: number,
  random: () => number = Math.random,
): Set<string> {
  const lines = 1 + Math.floor(random() * Math.min(MAX_LINES_PER_LOAD_ORDER, plentiful.length));
  const skus = new Set<string>();
  if (scarce.length > 0 && random() < scarceShare) skus.add(pick(scarce, random));
  while (skus.size < lines) skus.add(pick(plentiful, random));
  return skus;
}

function stockTotals(products: readonly Product[]): Map<string, number> {
  return new Map(products.map((p) => [p.sku, p.available + p.reserved + p.sold]));
}

/** Runs the load, waits for the orders to settle, reconciles, and returns the report. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { urls } = options;
  const catalog = await listProducts(urls);
  if (catalog.length === 0)
    throw new Error('The inventory has no products: start the stack with the demo catalog (npm start).');
  // Products with little stock stay scarce (both outcomes occur); the others are topped up so that the run
  // measures the flow, not an empty warehouse. Restocking is an ordinary operator action (PUT /inventory).
  const scarce = catalog.filter((p) => p.available + p.reserved + p.sold < SCARCE_STOCK_LIMIT).map((p) => p.sku);
  const plentiful = catalog.filter((p) => !scarce.includes(p.sku)).map((p) => p.sku);
  if (plentiful.length === 0) {
    throw new Error(`Every product has fewer than ${SCARCE_STOCK_LIMIT} units; add stock with PUT /inventory/{sku}.`);
  }
  const needed = Math.ceil(
    options.rate * options.durationSeconds * MAX_LINES_PER_LOAD_ORDER * MAX_QUANTITY_PER_LOAD_LINE,
  );
  for (const product of catalog) {
    if (plentiful.includes(product.sku) && product.available < needed) await setAvailable(urls, product.sku, needed);
  }
  const productsBefore = await listProducts(urls);

  const customers = Array.from({ length: CUSTOMER_POOL }, () => randomUUID());
  await mintCustomerTokens(urls, customers);
  const placedToFinal = new LatencyRecorder();
  const accept = new LatencyRecorder();
  const orders = new Map<string, OrderView>();
  const errors: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  const timeline = new Map<
    number,
    { sent: number; accepted: number; completed: number; lastFinalSecond: number | null; latencies: number[] }
  >();
  const bucket = (second: number) => {
    let entry = timeline.get(second);
    if (entry === undefined) {
      entry = { sent: 0, accepted: 0, completed: 0, lastFinalSecond: null, latencies: [] };
      timeline.set(second, entry);
    }
    return entry;
  };
  let sent = 0;
  let accepted = 0;
  let rejected = 0;
  let completed = 0;
  let inFlight = 0;
  const countError = (kind: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  const startedAt = new Date();
  const cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  options.onStart?.(new Date());
  const second = () => Math.floor((performance.now() - t0) / 1_000);
  const drainDeadline = () => t0 + (options.durationSeconds + options.drainSeconds) * 1_000;

  async function fire(index: number): Promise<void> {
    sent++;
    inFlight++;
    const sentIn = bucket(second());
    sentIn.sent++;
    const skus = chooseSkus(plentiful, scarce, options.scarceShare);
    const customer = customers[index % CUSTOMER_POOL] as string;
    try {
      const started = performance.now();
      const response = await placeOrder(
        urls,
        {
          customerId: customer,
          items: [...skus].map((sku) => ({
            sku,
            quantity: 1 + Math.floor(Math.random() * MAX_QUANTITY_PER_LOAD_LINE),
          })),
          contact: {
            email: `customer-${index % CUSTOMER_POOL}@example.com`,
            ...(index % 2 === 0 ? { phone: '+4915112345678' } : {}),
          },
        },
        randomUUID(),
      );
      accept.record(performance.now() - started);
      // 202 PENDING (Kafka reservation mode); 201 RESERVED or 409 ORD_OUT_OF_STOCK, an order decided at once
      // (REST mode): both are accepted orders that reach a final status.
      const answer = parseAnswer(response.status, response.body);
      if (answer === undefined) {
        rejected++;
        countError(`http-${response.status}`);
        const code = refusalCode(response.body);
        refusals[code] = (refusals[code] ?? 0) + 1;
        return;
      }
      accepted++;
      sentIn.accepted++;
      const { orderId } = answer;
      let view: OrderView = { orderId, status: 'PENDING', createdAt: new Date().toISOString() };
      orders.set(orderId, view);
      while (!FINAL_STATUSES.has(view.status) && performance.now() < drainDeadline()) {
        view = await awaitOrder(urls, orderId, AWAIT_SECONDS);
      }
      // Only what the reconciliation needs is kept: a run holds every order, and whole views (saga steps
      // included) for tens of thousands of them made the generator's garbage collector a large part of its CPU.
      view = {
        orderId,
        status: view.status,
        createdAt: view.createdAt,
        settledAt: view.settledAt ?? null,
        ...(view.total === undefined ? {} : { total: view.total }),
      };
      orders.set(orderId, view);
      if (FINAL_STATUSES.has(view.status)) {
        completed++;
        const seenFinal = (performance.now() - t0) / 1_000;
        sentIn.lastFinalSecond = Math.max(sentIn.lastFinalSecond ?? 0, seenFinal);
        const ms = Date.parse(view.settledAt ?? '') - Date.parse(view.createdAt);
        if (Number.isFinite(ms)) {
          placedToFinal.record(ms);
          const entry = bucket(second());
          entry.completed++;
          entry.latencies.push(ms);
        }
      }
    } catch (error) {
      countError((error as Error).name === 'TimeoutError' ? 'timeout' : 'network');
    } finally {
      inFlight--;
    }
  }

  const progress = setInterval(() => {
    options.onProgress?.({
      elapsedSeconds: (performance.now() - t0) / 1_000,
      sent,
      accepted,
      completed,
      inFlight,
      errors: Object.values(errors).reduce((a, b) => a + b, 0),
      currentP99Ms: placedToFinal.recentPercentile(99),
    });
  }, 1_000);
  try {
    const pending: Promise<void>[] = [];
    await runOpenModel({
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      fire: (index) => {
        const p = fire(index);
        pending.push(p);
        return p;
      },
    });
    await Promise.all(pending);
    options.onSettled?.(new Date());
  } finally {
    clearInterval(progress);
  }
  const elapsed = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpuAtStart);

  const reconciliation = await reconcile(options, productsBefore, orders);
  const statuses = [...orders.values()];
  return {
    startedAt: startedAt.toISOString(),
    options: {
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      drainSeconds: options.drainSeconds,
      scarceShare: options.scarceShare,
    },
    sent,
    accepted,
    rejected,
    errors,
    refusals,
    completed: {
      confirmed: statuses.filter((o) => o.status === 'CONFIRMED').length,
      cancelled: statuses.filter((o) => o.status === 'CANCELLED').length,
      pendingAtEnd: statuses.filter((o) => !FINAL_STATUSES.has(o.status)).length,
    },
    throughput: { acceptedPerSecond: accepted / options.durationSeconds, completedPerSecond: completed / elapsed },
    placedToFinalMs: placedToFinal.summary(),
    acceptMs: accept.summary(),
    timeline: [...timeline.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, entry]) => {
        const sorted = [...entry.latencies].sort((a, b) => a - b);
        const at = (p: number) =>
          sorted.length === 0
            ? null
            : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null);
        return {
          second: s,
          sent: entry.sent,
          accepted: entry.accepted,
          completed: entry.completed,
          lastFinalSecond: entry.lastFinalSecond,
          p50Ms: at(50),
          p99Ms: at(99),
        };
      }),
    reconciliation,
    generatorCpu: {
      userSeconds: cpu.user / 1e6,
      systemSeconds: cpu.system / 1e6,
      shareOfOneCore: (cpu.user + cpu.system) / 1e6 / elapsed,
    },
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index] as T);
      }
    }),
  );
  return results;
}

async function reconcile(
  options: LoadOptions,
  productsBefore: readonly Product[],
  orders: ReadonlyMap<string, OrderView>,
): Promise<Reconciliation> {
  const unsettled = [...orders.values()].filter((o) => !FINAL_STATUSES.has(o.status)).map((o) => o.orderId);
  const before = stockTotals(productsBefore);
  const after = stockTotals(await listProducts(options.urls));
  const stockDifferences = [...before]
    .filter(([sku, total]) => after.get(sku) !== total)
    .map(([sku, total]) => ({ sku, before: total, after: after.get(sku) ?? 0 }));
  const settled = [...orders.values()].filter((o) => FINAL_STATUSES.has(o.status));
  const wrong: Reconciliation['ordersWithWrongNotificationCount'] = [];
  if (options.checkNotifications) {
    // Notifications follow the outcome asynchronously (their own consumer): an order settled a moment ago
    // may not have them yet. Missing ones are looked at again until a deadline; a second copy is wrong at once.
    const deadline = Date.now() + NOTIFICATION_SETTLE_TIMEOUT_MS;
    let pending = settled;
    while (pending.length > 0) {
      const missing: OrderView[] = [];
      const last = Date.now() >= deadline;
      await mapLimited(pending, RECONCILE_CONCURRENCY, async (order) => {
        const notifications = await notificationsOf(options.urls, order.orderId);
        const perChannel: Record<string, number> = {};
        for (const n of notifications) perChannel[n.channel] = (perChannel[n.channel] ?? 0) + 1;
        // One outcome per order, so exactly one notification per channel; at least the email channel.
        const counts = Object.values(perChannel);
        if ((perChannel.email ?? 0) === 1 && counts.every((count) => count === 1)) return;
        if (!last && counts.every((count) => count <= 1)) missing.push(order);
        else wrong.push({ orderId: order.orderId, perChannel });
      });
      pending = missing;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, NOTIFICATION_RECHECK_MS));
    }
  }
  const paymentsByOrder = new Map<string, OrderPayments>();
  await mapLimited(settled, RECONCILE_CONCURRENCY, async (order) => {
    paymentsByOrder.set(order.orderId, await paymentsOf(options.urls, order.orderId));
  });
  const payments = reconcilePayments(settled, paymentsByOrder);
  const everyAcceptedOrderFinal = unsettled.length === 0;
  const stockConserved = stockDifferences.length === 0;
  return {
    ok: everyAcceptedOrderFinal && stockConserved && wrong.length === 0 && payments.ok,
    payments,
    everyAcceptedOrderFinal,
    unsettledOrderIds: unsettled.slice(0, 20),
    stockConserved,
    stockDifferences,
    notificationsChecked: options.checkNotifications,
    ordersWithWrongNotificationCount: wrong.slice(0, 20),
  };
}
