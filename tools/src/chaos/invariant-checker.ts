/**
 * The chaos run's judge, independent of the services: after the load it reads the four databases and the
 * topics directly (never an HTTP endpoint, a metric or a counter of the services) and checks, order by
 * order, that nothing was lost and no effect happened twice:
 * - every order answered 202 is final, its saga finished, and nothing is left in any outbox;
 * - exactly one reservation per order, in the state its outcome implies;
 * - at most one capture per order (exactly one, of its total, for a CONFIRMED order), and exactly one refund
 *   of the whole capture for each order cancelled after it was captured, none for the others;
 * - stock conserved per SKU: nothing reserved at the end, sold = what CONFIRMED orders hold, and
 *   available + sold = the units the run started with;
 * - exactly one notification per order, outcome and channel;
 * - every record the databases say was published is in its topic (OrderPlaced for every order, the
 *   reservation and payment results, the outcomes), each logical event under one event id only (a second id
 *   would be a second effect), and nothing dead-lettered.
 */
import { HEADERS, topic } from '@shop/contracts';
import { createAdmin, type KafkaSecurity, kafkaNamespace } from '@shop/platform';
import pg from 'pg';
import { scanTopics } from './topic-scan.ts';

/** Violations listed per invariant at most; the count covers all of them. */
const MAX_LISTED = 10;

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** How many things (orders, SKUs, records) were checked. */
  checked: number;
  violations: number;
  examples: string[];
}

export interface CheckInput {
  serverUrl: string;
  databases: { order: string; inventory: string; payment: string; notification: string };
  bootstrapServers: readonly string[];
  /** The login that reads every topic (a super user's). */
  security?: KafkaSecurity;
  namespace: string;
  /** Orders some instance answered 202 for. */
  accepted: readonly string[];
  /**
   * Orders the customer asked to cancel after they were CONFIRMED, whether or not the answer came back:
   * those that end CANCELLED were confirmed first.
   */
  cancelledAfterConfirmation: readonly string[];
  /** Units per SKU (available + reserved + sold) before the load. */
  initialUnits: ReadonlyMap<string, number>;
}

export interface CheckReport {
  ok: boolean;
  orders: { accepted: number; inDatabase: number; confirmed: number; cancelled: number; refunded: number };
  invariants: InvariantResult[];
}

/**
 * The outcome events (and so the notifications) a final order has had. A CONFIRMED order can only end
 * CANCELLED through a customer's cancel, so an order ends CANCELLED after a confirmation only when its
 * customer asked; the asking is what the load knows for sure (not the answer, which can be lost while the
 * request is applied).
 */
export function expectedOutcomes(
  status: 'CONFIRMED' | 'CANCELLED',
  cancelAskedAfterConfirmation: boolean,
): Array<'OrderConfirmed' | 'OrderCancelled'> {
  if (status === 'CONFIRMED') return ['OrderConfirmed'];
  return cancelAskedAfterConfirmation ? ['OrderConfirmed', 'OrderCancelled'] : ['OrderCancelled'];
}

class Invariant {
  checked = 0;
  violations = 0;
  readonly examples: string[] = [];
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  check(ok: boolean, describe: () => string): void {
    this.checked++;
    if (ok) return;
    this.violations++;
    if (this.examples.length < MAX_LISTED) this.examples.push(describe());
  }
  result(): InvariantResult {
    return {
      name: this.name,
      ok: this.violations === 0,
      checked: this.checked,
      violations: this.violations,
      examples: this.examples,
    };
  }
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

interface OrderRow {
  id: string;
  status: string;
  lines: Array<{ sku: string; quantity: number }>;
  contact: { phone?: string };
  total_amount_minor: string | null;
  saga_state: string | null;
  open_steps: number;
}

/** Counts distinct event ids per (order key, event type) over the given topics. */
type EventIndex = Map<string, Map<string, Set<string>>>;

function addEvent(index: EventIndex, key: string | undefined, type: string | undefined, eventId: string | undefined) {
  if (key === undefined || type === undefined || eventId === undefined) return;
  let byType = index.get(key);
  if (byType === undefined) {
    byType = new Map();
    index.set(key, byType);
  }
  let ids = byType.get(type);
  if (ids === undefined) {
    ids = new Set();
    byType.set(type, ids);
  }
  ids.add(eventId);
}

const idsOf = (index: EventIndex, orderId: string, type: string) => index.get(orderId)?.get(type)?.size ?? 0;

export async function checkInvariants(input: CheckInput): Promise<CheckReport> {
  const db = (name: string) => `${input.serverUrl}/${name}`;
  const { databases } = input;
  const [orders, reservations, payments, refunds, notifications, stock, outboxes] = await Promise.all([
    query<OrderRow>(
      db(databases.order),
      `SELECT o.id, o.status, o.lines, o.contact, o.total_amount_minor, s.state AS saga_state,
              (SELECT count(*)::int FROM order_saga_steps st WHERE st.order_id = o.id AND st.status = 'STARTED') AS open_steps
       FROM orders o LEFT JOIN order_sagas s ON s.order_id = o.id`,
    ),
    query<{ order_id: string; status: string; created_by_event_id: string }>(
      db(databases.inventory),
      'SELECT order_id, status, created_by_event_id FROM reservations',
    ),
    query<{ order_id: string; status: string; amount_minor: string; refunded_minor: string }>(
      db(databases.payment),
      'SELECT order_id, status, amount_minor, refunded_minor FROM payments',
    ),
    query<{ order_id: string; amount_minor: string }>(
      db(databases.payment),
      'SELECT order_id, amount_minor FROM refunds',
    ),
    query<{ order_id: string; outcome: string; channel: string; status: string }>(
      db(databases.notification),
      'SELECT order_id, outcome, channel, status FROM notifications',
    ),
    query<{ sku: string; available: number; reserved: number; sold: number }>(
      db(databases.inventory),
      'SELECT sku, available, reserved, sold FROM products',
    ),
    Promise.all(
      Object.entries(databases).map(async ([label, name]) => ({
        label,
        rows: Number((await query<{ n: string }>(db(name), 'SELECT count(*) AS n FROM outbox'))[0]?.n ?? 0),
      })),
    ),
  ]);

  const namespace = kafkaNamespace(input.namespace);
  const connection = {
    bootstrapServers: [...input.bootstrapServers],
    clientId: 'chaos-checker',
    ...(input.security === undefined ? {} : { security: input.security }),
  };
  const events: EventIndex = new Map();
  const business = (['orderPlaced', 'reservationResults', 'paymentResults', 'orderOutcomes'] as const).map((id) =>
    namespace.topic(topic(id).name),
  );
  await scanTopics(connection, business, (record) =>
    addEvent(events, record.key, record.headers.get(HEADERS.eventType), record.headers.get(HEADERS.eventId)),
  );
  const admin = createAdmin(connection);
  let deadLetterTopics: string[];
  try {
    deadLetterTopics = (await admin.listTopics()).filter(
      (topic) => topic.startsWith(`${input.namespace}.`) && topic.endsWith('.dlt'),
    );
  } finally {
    await admin.close();
  }
  const deadLetters: string[] = [];
  await scanTopics(connection, deadLetterTopics, (record) => deadLetters.push(`${record.topic}: ${record.key}`));

  const byOrder = new Map(orders.map((order) => [order.id, order]));
  const reservationOf = new Map(reservations.map((r) => [r.order_id, r]));
  const paymentsOf = groupBy(payments, (p) => p.order_id);
  const refundsOf = groupBy(refunds, (r) => r.order_id);
  const notificationsOf = groupBy(notifications, (n) => n.order_id);
  const cancelledAfterConfirmation = new Set(input.cancelledAfterConfirmation);

  const final = new Invariant('every order answered 202 is final, its saga finished, every outbox empty');
  for (const orderId of input.accepted) {
    const order = byOrder.get(orderId);
    final.check(
      order !== undefined &&
        order.status !== 'PENDING' &&
        (order.saga_state === 'CONFIRMED' || order.saga_state === 'CANCELLED') &&
        order.open_steps === 0,
      () =>
        order === undefined
          ? `${orderId}: accepted but not in the orders database`
          : `${orderId}: ${order.status}, saga ${order.saga_state}, ${order.open_steps} open step(s)`,
    );
  }
  // Orders whose 202 never reached the client (its instance died after the commit) must settle too.
  const accepted = new Set(input.accepted);
  for (const order of orders) {
    if (!accepted.has(order.id) && order.status === 'PENDING') {
      final.check(false, () => `${order.id}: in the database, never answered, still PENDING`);
    }
  }
  for (const { label, rows } of outboxes) final.check(rows === 0, () => `${label}: ${rows} row(s) left in the outbox`);

  const reservation = new Invariant('exactly one reservation per order, in the state its outcome implies');
  const capture = new Invariant('at most one capture per order; a CONFIRMED order captured its total once');
  const refund = new Invariant('one refund of the whole capture per refunded order, none for the others');
  const notification = new Invariant('one notification per order, outcome and channel');
  const published = new Invariant('every event the databases recorded is in its topic, under one event id');
  let refundedOrders = 0;
  const soldBySku = new Map<string, number>();

  for (const order of orders) {
    const id = order.id;
    const confirmed = order.status === 'CONFIRMED';
    const cancelled = order.status === 'CANCELLED';
    if (confirmed)
      for (const line of order.lines) soldBySku.set(line.sku, (soldBySku.get(line.sku) ?? 0) + line.quantity);

    const r = reservationOf.get(id);
    reservation.check(
      r !== undefined &&
        ((confirmed && r.status === 'COMMITTED') || (cancelled && (r.status === 'RELEASED' || r.status === 'FAILED'))),
      () => `${id}: order ${order.status}, reservation ${r?.status ?? 'missing'}`,
    );

    const captures = (paymentsOf.get(id) ?? []).filter((p) => p.status === 'CAPTURED');
    const capturedMinor = captures.reduce((sum, p) => sum + Number(p.amount_minor), 0);
    capture.check(
      captures.length <= 1 &&
        (!confirmed || (captures.length === 1 && capturedMinor === Number(order.total_amount_minor))),
      () =>
        `${id}: order ${order.status} (total ${order.total_amount_minor}), ${captures.length} capture(s) of ${capturedMinor}`,
    );

    const paidBack = (refundsOf.get(id) ?? []).filter((x) => Number(x.amount_minor) > 0);
    const refundedMinor = paidBack.reduce((sum, x) => sum + Number(x.amount_minor), 0);
    const refundedOnPayment = captures.reduce((sum, p) => sum + Number(p.refunded_minor), 0);
    if (cancelled && capturedMinor > 0) {
      refundedOrders++;
      refund.check(
        paidBack.length === 1 && refundedMinor === capturedMinor && refundedOnPayment === capturedMinor,
        () =>
          `${id}: captured ${capturedMinor}, ${paidBack.length} refund(s) of ${refundedMinor} (payment says ${refundedOnPayment})`,
      );
    } else {
      refund.check(
        paidBack.length === 0 && refundedOnPayment === 0,
        () => `${id}: order ${order.status}, ${paidBack.length} refund(s) of ${refundedMinor}`,
      );
    }

    if (confirmed || cancelled) {
      const outcomes = expectedOutcomes(confirmed ? 'CONFIRMED' : 'CANCELLED', cancelledAfterConfirmation.has(id));
      const channels = order.contact.phone === undefined ? ['email'] : ['email', 'sms'];
      const rows = notificationsOf.get(id) ?? [];
      const expected = new Set(outcomes.flatMap((outcome) => channels.map((channel) => `${outcome}/${channel}`)));
      const seen = new Map<string, number>();
      for (const row of rows)
        seen.set(`${row.outcome}/${row.channel}`, (seen.get(`${row.outcome}/${row.channel}`) ?? 0) + 1);
      notification.check(
        seen.size === expected.size && [...expected].every((key) => seen.get(key) === 1),
        () =>
          `${id}: expected ${[...expected].join(', ')}; found ${[...seen].map(([k, n]) => `${k}×${n}`).join(', ') || 'none'}`,
      );
      for (const outcome of outcomes) {
        published.check(
          idsOf(events, id, outcome) === 1,
          () => `${id}: ${idsOf(events, id, outcome)} ${outcome} event id(s) on order-outcomes`,
        );
      }
    }

    published.check(
      idsOf(events, id, 'OrderPlaced') === 1,
      () => `${id}: ${idsOf(events, id, 'OrderPlaced')} OrderPlaced event id(s)`,
    );
    if (r !== undefined) {
      // A RELEASED row may be a tombstone (released before OrderPlaced arrived): then nothing was answered.
      const answers = idsOf(events, id, 'InventoryReserved') + idsOf(events, id, 'InventoryFailed');
      published.check(
        answers === 1 || (r.status === 'RELEASED' && answers === 0),
        () => `${id}: reservation ${r.status}, ${answers} InventoryReserved/Failed event id(s)`,
      );
    }
    if (captures.length > 0) {
      published.check(
        idsOf(events, id, 'PaymentCaptured') >= 1,
        () => `${id}: captured, no PaymentCaptured on payment-results`,
      );
    }
    if (paidBack.length > 0) {
      published.check(
        idsOf(events, id, 'PaymentRefunded') >= 1,
        () => `${id}: refunded, no PaymentRefunded on payment-results`,
      );
    }
  }
  published.check(
    deadLetters.length === 0,
    () => `${deadLetters.length} dead letter(s), e.g. ${deadLetters.slice(0, 3).join('; ')}`,
  );

  const conserved = new Invariant(
    'stock conserved per SKU: none left reserved, sold = CONFIRMED quantities, units unchanged',
  );
  for (const product of stock) {
    const initial = input.initialUnits.get(product.sku);
    if (initial === undefined) continue;
    const sold = soldBySku.get(product.sku) ?? 0;
    conserved.check(
      product.reserved === 0 && product.sold === sold && product.available + product.sold === initial,
      () =>
        `${product.sku}: available ${product.available}, reserved ${product.reserved}, sold ${product.sold}; ` +
        `expected sold ${sold} and ${initial} units`,
    );
  }

  const invariants = [final, reservation, capture, refund, conserved, notification, published].map((i) => i.result());
  return {
    ok: invariants.every((i) => i.ok),
    orders: {
      accepted: input.accepted.length,
      inDatabase: orders.length,
      confirmed: orders.filter((o) => o.status === 'CONFIRMED').length,
      cancelled: orders.filter((o) => o.status === 'CANCELLED').length,
      refunded: refundedOrders,
    },
    invariants,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}
