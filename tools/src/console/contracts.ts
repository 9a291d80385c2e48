/**
 * The console's own API: what its server sends the browser (REST answers and Server-Sent Events). One
 * TypeBox definition gives the server its types and the front end (web/, type-only imports) the same ones,
 * so a field renamed here breaks both at type-check time.
 */
import { type Static, type TSchema, Type } from 'typebox';

/** A stable error as every service answers it (`{ error: { code, message } }`). */
export const ConsoleError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
});
export type ConsoleError = Static<typeof ConsoleError>;

/** One source's answer inside a snapshot: its value, or why it could not be read (a service or broker down). */
export const Part = <T extends TSchema>(value: T) =>
  Type.Union([
    Type.Object({ ok: Type.Literal(true), value }),
    Type.Object({ ok: Type.Literal(false), error: ConsoleError }),
  ]);
export type Part<T> = { ok: true; value: T } | { ok: false; error: ConsoleError };

export const SERVICE_NAMES = ['order', 'inventory', 'payment', 'notification'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const LAG_STATUSES = ['OK', 'UNKNOWN', 'WARN', 'STALL', 'STOP', 'ERR'] as const;
export const LagStatus = Type.Enum(LAG_STATUSES);
export type LagStatus = Static<typeof LagStatus>;

export const ServiceHealth = Type.Object({
  service: Type.Enum(SERVICE_NAMES),
  up: Type.Boolean(),
  /** Rows in its outbox not yet published (outbox_backlog), when its /metrics answered. */
  outboxBacklog: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
});
export type ServiceHealth = Static<typeof ServiceHealth>;

/** Overview: rates from the Order Service's counters between two scrapes, and the state of everything. */
export const OverviewSnapshot = Type.Object({
  at: Type.String({ format: 'date-time' }),
  /** Per second over the last scrape interval; absent until two scrapes of the Order Service succeeded. */
  rates: Type.Optional(
    Type.Object({ placed: Type.Number(), confirmed: Type.Number(), cancelled: Type.Number(), pending: Type.Number() }),
  ),
  /** Orders placed and not yet settled since the Order Service started (placed − settled). */
  inFlight: Type.Optional(Type.Number()),
  services: Type.Array(ServiceHealth),
  /** How many consumer groups are in each status; `error` when the broker could not be read. */
  groups: Part(Type.Record(Type.String(), Type.Number())),
  /** Sagas in each state (the Order Service's GET /sagas/summary), every state named. */
  sagas: Part(Type.Record(Type.String(), Type.Number())),
  /** Dead letters per consumer with a record timestamp in the last hour; absent until the first count. */
  deadLettersLastHour: Type.Optional(Part(Type.Record(Type.String(), Type.Number()))),
});
export type OverviewSnapshot = Static<typeof OverviewSnapshot>;

export const PartitionLagView = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  committedOffset: Type.Union([Type.String(), Type.Null()]),
  logEndOffset: Type.String(),
  /** Records behind the log end (null: the group never committed this partition). */
  lag: Type.Union([Type.Number(), Type.Null()]),
  /** Age of the first unconsumed record, ms (null when unknown). */
  timeLagMs: Type.Union([Type.Number(), Type.Null()]),
});
export type PartitionLagView = Static<typeof PartitionLagView>;

export const GroupLagView = Type.Object({
  group: Type.String(),
  state: Type.String(),
  members: Type.Integer(),
  status: LagStatus,
  /** Sum of the partitions' lag. */
  totalLag: Type.Number(),
  partitions: Type.Array(PartitionLagView),
  /** Total lag at each of the last readings, oldest first (the history chart). */
  history: Type.Array(Type.Object({ at: Type.Number(), lag: Type.Number() })),
  error: Type.Optional(Type.String()),
});
export type GroupLagView = Static<typeof GroupLagView>;

export const LagSnapshot = Type.Object({
  at: Type.String({ format: 'date-time' }),
  groups: Part(Type.Array(GroupLagView)),
});
export type LagSnapshot = Static<typeof LagSnapshot>;

/** The shapes below mirror the services' public answers (their OpenAPI documents in docs/api). */
export const Money = Type.Object({ amountMinor: Type.Integer(), currency: Type.String() });
export type Money = Static<typeof Money>;

export const SagaStep = Type.Object({
  step: Type.String(),
  attempt: Type.Integer(),
  status: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  deadlineAt: Type.Optional(Type.String()),
});
export type SagaStep = Static<typeof SagaStep>;

export const Order = Type.Object({
  orderId: Type.String(),
  customerId: Type.String(),
  status: Type.String(),
  items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  total: Type.Optional(Money),
  cancelReason: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  refunded: Type.Optional(Money),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  settledAt: Type.Optional(Type.String()),
  saga: Type.Optional(Type.Object({ state: Type.String(), steps: Type.Array(SagaStep) })),
});
export type Order = Static<typeof Order>;

export const Payments = Type.Object({
  payments: Type.Array(
    Type.Object({
      paymentId: Type.String(),
      status: Type.String(),
      amount: Money,
      refunded: Money,
      declineReason: Type.Optional(Type.String()),
      createdAt: Type.String(),
    }),
  ),
  refunds: Type.Array(
    Type.Object({ refundId: Type.String(), paymentId: Type.String(), amount: Money, createdAt: Type.String() }),
  ),
});
export type Payments = Static<typeof Payments>;

export const Reservation = Type.Object({
  status: Type.String(),
  lines: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  total: Type.Optional(Money),
});
export type Reservation = Static<typeof Reservation>;

export const Notification = Type.Object({
  outcome: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  recipient: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  createdAt: Type.String(),
});
export type Notification = Static<typeof Notification>;

/** An order's page: the order and its saga, with what the other services hold for it, each read alone. */
export const OrderSnapshot = Type.Object({
  order: Part(Order),
  payments: Part(Payments),
  /** `ok: true, value: null` while Inventory has no reservation for the order (yet). */
  reservation: Part(Type.Union([Reservation, Type.Null()])),
  notifications: Part(Type.Array(Notification)),
});
export type OrderSnapshot = Static<typeof OrderSnapshot>;

export const Product = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  unitPrice: Money,
  available: Type.Integer(),
  reserved: Type.Integer(),
  sold: Type.Integer(),
  totalUnits: Type.Integer(),
  updatedAt: Type.String(),
});
export type Product = Static<typeof Product>;

export const StockSnapshot = Type.Object({
  products: Part(Type.Array(Product)),
});
export type StockSnapshot = Static<typeof StockSnapshot>;

/** GET /api/orders?customerId= : one customer's orders, newest first (the Order Service's listing). */
export const OrderList = Type.Object({
  orders: Type.Array(Order),
  nextBefore: Type.Union([Type.String(), Type.Null()]),
});
export type OrderList = Static<typeof OrderList>;

export const CatalogTopic = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  owner: Type.String(),
  consumers: Type.Array(Type.String()),
  partitions: Type.Integer(),
  retentionMs: Type.Number(),
  rationale: Type.String(),
});
export type CatalogTopic = Static<typeof CatalogTopic>;

/** The topic catalog beside what the cluster has: the provisioning plan's differences are the drift. */
export const TopicsSnapshot = Type.Object({
  catalog: Type.Array(CatalogTopic),
  cluster: Part(
    Type.Object({
      brokerCount: Type.Integer(),
      /** Each difference, keyed by topic name, in the provisioning plan's words. */
      drift: Type.Record(Type.String(), Type.Array(Type.String())),
      warnings: Type.Array(Type.String()),
    }),
  ),
});
export type TopicsSnapshot = Static<typeof TopicsSnapshot>;

/** The filters of the dead-letter page (those of `dlt list`); every one optional. */
export const DeadLetterFilter = Type.Object({
  consumer: Type.Optional(Type.String({ maxLength: 200 })),
  code: Type.Optional(Type.String({ maxLength: 200 })),
  /** ISO 8601 or relative (`1h`). */
  since: Type.Optional(Type.String({ maxLength: 64 })),
  orderId: Type.Optional(Type.String({ maxLength: 64 })),
  eventId: Type.Optional(Type.String({ maxLength: 64 })),
});
export type DeadLetterFilter = Static<typeof DeadLetterFilter>;

export const DeadLetterRecord = Type.Object({
  /** `topic/partition@offset`. */
  id: Type.String(),
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.String(),
  deadLetteredAt: Type.String(),
  consumerId: Type.String(),
  consumerGroup: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  eventId: Type.Union([Type.String(), Type.Null()]),
  eventType: Type.Union([Type.String(), Type.Null()]),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  errorKind: Type.Union([Type.String(), Type.Null()]),
  errorMessage: Type.Union([Type.String(), Type.Null()]),
  originalTopic: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  replayCount: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()),
  /** The payload as the dlt tools decode it (JSON pretty-printed, else the text or base64). */
  value: Type.String(),
  valueEncoding: Type.String(),
});
export type DeadLetterRecord = Static<typeof DeadLetterRecord>;

export const DeadLetterList = Type.Object({ records: Type.Array(DeadLetterRecord), matchedTotal: Type.Integer() });
export type DeadLetterList = Static<typeof DeadLetterList>;

export const DeadLetterSnapshot = Type.Object({ list: Part(DeadLetterList) });
export type DeadLetterSnapshot = Static<typeof DeadLetterSnapshot>;

export const ReplayRequest = Type.Object(
  {
    filter: DeadLetterFilter,
    dryRun: Type.Boolean(),
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type ReplayRequest = Static<typeof ReplayRequest>;

/** What a replay did, or would do on a dry run: each record, and where it goes. */
export const ReplayResult = Type.Object({
  dryRun: Type.Boolean(),
  runId: Type.Optional(Type.String()),
  matched: Type.Integer(),
  replayed: Type.Integer(),
  parked: Type.Integer(),
  skipped: Type.Integer(),
  failed: Type.Integer(),
  error: Type.Optional(Type.String()),
  decisions: Type.Array(
    Type.Object({
      action: Type.String(),
      record: Type.String(),
      key: Type.Union([Type.String(), Type.Null()]),
      target: Type.Optional(Type.String()),
      alsoDeliveredTo: Type.Optional(Type.Array(Type.String())),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export type ReplayResult = Static<typeof ReplayResult>;

/** One past replay run from the dlt tools' audit (dry runs are not recorded). */
export const ReplayRunView = Type.Object({
  runId: Type.String(),
  operator: Type.String(),
  startedAt: Type.String(),
  /** Null while the run is under way, or when it died before recording its summary. */
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  /** The filters in the audit's words (`consumer=reserveStock, event-id=...`). */
  filters: Type.String(),
  target: Type.String(),
  /** Records per second; null for runs recorded before the audit kept the rate. */
  ratePerSecond: Type.Union([Type.Number(), Type.Null()]),
  forced: Type.Boolean(),
  /** Null until the run finished. */
  summary: Type.Union([
    Type.Object({
      matched: Type.Integer(),
      replayed: Type.Integer(),
      parked: Type.Integer(),
      skipped: Type.Integer(),
      failed: Type.Integer(),
    }),
    Type.Null(),
  ]),
});
export type ReplayRunView = Static<typeof ReplayRunView>;

/** GET /api/dead-letters/replays and its stream: the namespace's latest replay runs, newest first. */
export const ReplayHistory = Type.Object({ runs: Part(Type.Array(ReplayRunView)) });
export type ReplayHistory = Static<typeof ReplayHistory>;

/** The console's event streams (GET, text/event-stream; one `data:` JSON snapshot per change). */
export const STREAM_PATHS = {
  overview: '/api/stream/overview',
  lag: '/api/stream/lag',
  topics: '/api/stream/topics',
  stock: '/api/stream/stock',
  replayRuns: '/api/stream/replay-runs',
  deadLetters: (filter: Record<string, string>) => `/api/stream/dead-letters?${new URLSearchParams(filter)}`,
  order: (orderId: string) => `/api/stream/orders/${encodeURIComponent(orderId)}`,
} as const;

/**
 * The answer of a console action or search (always HTTP 200 once the console server itself answered): what the
 * service answered, so a refusal (a validation error, a saga not in COMPENSATION_FAILED) is shown as data
 * rather than logged by the browser as a failed request. `status` 0: the service did not answer.
 */
export type ServiceResult<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; status: number; error: ConsoleError };
