import type { TestContext } from 'node:test';
import type { Money } from '@shop/contracts';
import { type KafkaNamespace, type RunningService, type ServiceDefinition, startService } from '@shop/platform';
import { inventoryService } from '../../../services/inventory/src/service.ts';
import { notificationService } from '../../../services/notification/src/service.ts';
import { orderService } from '../../../services/order/src/service.ts';
import {
  SimulatedPaymentProvider,
  type SimulatedProviderOptions,
} from '../../../services/payment/src/provider/simulated-provider.ts';
import { createPaymentService } from '../../../services/payment/src/service.ts';
import {
  bearer,
  createTestNamespace,
  customerToken,
  eventually,
  operatorToken,
  startTestService,
  TEST_AUTH_SECRET,
  TEST_RETRY_DELAYS_MS,
  testBootstrapServers,
  testKafkaSecurityEnv,
  testPostgresUrl,
} from './index.ts';

export type ServiceLabel = 'order' | 'inventory' | 'payment' | 'notification';

export interface TestStack {
  namespace: KafkaNamespace;
  order: RunningService;
  inventory: RunningService;
  payment: RunningService;
  notification: RunningService;
}

export interface StackOptions {
  /** Per-service environment overrides. */
  env?: Partial<Record<ServiceLabel, Record<string, string>>>;
  definitions?: Partial<Record<ServiceLabel, ServiceDefinition>>;
  /** Where every service's log lines go (set LOG_LEVEL in `env` to choose which). Default: stdout. */
  logDestination?: NodeJS.WritableStream;
  /**
   * The Order Service's reservation mode. `rest` starts Inventory first and points the Order Service at it
   * (ORDER_RESERVATION_MODE=rest, INVENTORY_URL). Default: the service's default (kafka).
   */
  reservationMode?: 'kafka' | 'rest';
}

/**
 * The Payment Service on the simulated gateway configured here, never from the developer's PAYMENT_* variables
 * (a PAYMENT_DECLINE_RATE in the shell must not turn a test's captures into declines). Default: every charge
 * is captured at once.
 */
export function simulatedPaymentService(options: SimulatedProviderOptions = {}): ServiceDefinition {
  return createPaymentService({
    provider: (pool) => new SimulatedPaymentProvider(pool, { declineRate: 0, ...options }),
  });
}

/** A gateway decision that declines the charges of the given customers and captures every other one. */
export function declineCustomers(customerIds: ReadonlySet<string>): SimulatedProviderOptions['decide'] {
  return (_key, request) =>
    customerIds.has(request.customerId) ? { kind: 'decline', reason: 'INSUFFICIENT_FUNDS' } : { kind: 'capture' };
}

/** The services each test started through this module, stopped (newest first) before its topics are deleted. */
const servicesOf = new WeakMap<TestContext, RunningService[]>();

/**
 * After-hooks run in registration order, so the hook that stops the services is registered before the
 * namespace's (which deletes the topics) and the databases': a consumer whose topics vanish under it, or a
 * service whose database is dropped, would otherwise be stopped in that state, which can hang a test's end.
 */
function trackServices(t: TestContext): RunningService[] {
  let services = servicesOf.get(t);
  if (services === undefined) {
    const list: RunningService[] = [];
    services = list;
    servicesOf.set(t, list);
    t.after(async () => {
      for (const service of list.reverse()) await service.stop();
    });
  }
  return services;
}

/** Every service, in-process, on one fresh namespace, each with its own database. */
export async function startStack(t: TestContext, options: StackOptions = {}): Promise<TestStack> {
  const services = trackServices(t);
  const namespace = await createTestNamespace(t, 'e2e');
  const start = async (label: ServiceLabel, definition: ServiceDefinition) => {
    const running = await startTestService(t, options.definitions?.[label] ?? definition, {
      namespace,
      env: { ...options.env?.[label] },
      ...(options.logDestination === undefined ? {} : { logDestination: options.logDestination }),
    });
    // Tracked at once: when another service fails to start, this one is still stopped before the topics go.
    services.push(running);
    return running;
  };
  if (options.reservationMode === 'rest') {
    const [inventory, payment, notification] = (await allStarted([
      start('inventory', inventoryService),
      start('payment', simulatedPaymentService()),
      start('notification', notificationService),
    ])) as [RunningService, RunningService, RunningService];
    const order = await startTestService(t, options.definitions?.order ?? orderService, {
      namespace,
      env: { ORDER_RESERVATION_MODE: 'rest', INVENTORY_URL: inventory.url, ...options.env?.order },
      ...(options.logDestination === undefined ? {} : { logDestination: options.logDestination }),
    });
    services.push(order);
    return { namespace, order, inventory, payment, notification };
  }
  const [inventory, order, payment, notification] = (await allStarted([
    start('inventory', inventoryService),
    start('order', orderService),
    start('payment', simulatedPaymentService()),
    start('notification', notificationService),
  ])) as [RunningService, RunningService, RunningService, RunningService];
  return { namespace, order, inventory, payment, notification };
}

/**
 * Like Promise.all, but rejects only once every start has settled. With Promise.all, a failed start failed the
 * test at once, its after-hooks stopped the services started so far, and a service still starting then was
 * tracked too late to be stopped: its consumers and HTTP server kept the test process alive forever (a CI run
 * hung on it).
 */
async function allStarted(starts: ReadonlyArray<Promise<RunningService>>): Promise<RunningService[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<RunningService>).value);
}

/**
 * Starts `definition` again on the database and namespace of a service the test stopped (an outage that
 * ends): the same settings startTestService uses, on the existing database, stopped after the test before
 * the topics are deleted (the first start's cleanup drops the database afterwards).
 */
export async function restartService(
  t: TestContext,
  definition: ServiceDefinition,
  stopped: RunningService,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const { config } = stopped.context;
  const running = await startService(definition, {
    KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
    DATABASE_URL: await testPostgresUrl(),
    DATABASE_NAME: config.databaseName,
    KAFKA_NAMESPACE: config.namespace.prefix,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS,
    AUTH_JWT_SECRET: TEST_AUTH_SECRET,
    ...testKafkaSecurityEnv(),
    ...env,
  });
  trackServices(t).push(running);
  return running;
}

/** `token`: sent as the bearer token (customerToken, operatorToken, ...). Default: none. */
/** Longer than any answer the services give under test (a long poll waits 30 s at most). */
const HTTP_TIMEOUT_MS = 60_000;

export async function http<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, {
    // Never waiting for ever: an unanswered request fails the step that made it (with the URL), instead of
    // holding the test until the runner's timeout, which says nothing of where it hung.
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token === undefined ? {} : bearer(init.token)),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
    headers: response.headers,
  };
}

export async function putStock(
  inventoryUrl: string,
  sku: string,
  available: number,
  amountMinor = 1_000,
): Promise<void> {
  const response = await http(`${inventoryUrl}/inventory/${sku}`, {
    method: 'PUT',
    body: { name: sku, available, unitPrice: { amountMinor, currency: 'EUR' } },
    token: await operatorToken(),
  });
  if (response.status >= 300)
    throw new Error(`PUT /inventory/${sku}: ${response.status} ${JSON.stringify(response.body)}`);
}

export interface ProductBody {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
  unitPrice: Money;
}

/** The product as the Inventory Service shows it (GET /inventory/{sku}). */
export async function product(inventoryUrl: string, sku: string): Promise<ProductBody> {
  const response = await http<ProductBody>(`${inventoryUrl}/inventory/${sku}`);
  if (response.status !== 200)
    throw new Error(`GET /inventory/${sku}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export interface SagaStepBody {
  step: string;
  attempt: number;
  status: string;
  startedAt: string;
  finishedAt?: string | null;
}

export interface OrderBody {
  orderId: string;
  customerId: string;
  status: string;
  total?: Money;
  cancelReason?: { code: string; message: string };
  refunded?: Money;
  saga?: { state: string; steps: SagaStepBody[] };
  [key: string]: unknown;
}

export interface PlaceOrderOptions {
  phone?: string;
  /** Default: a new random customer. The order is placed with this customer's token. */
  customerId?: string;
}

export async function placeOrder(
  orderUrl: string,
  items: Array<{ sku: string; quantity: number }>,
  phoneOrOptions?: string | PlaceOrderOptions,
): Promise<string> {
  const options = typeof phoneOrOptions === 'string' ? { phone: phoneOrOptions } : (phoneOrOptions ?? {});
  const response = await http<{ orderId: string }>(`${orderUrl}/orders`, {
    method: 'POST',
    token: await customerToken(options.customerId ?? crypto.randomUUID()),
    body: {
      items,
      contact: { email: 'customer@example.com', ...(options.phone === undefined ? {} : { phone: options.phone }) },
    },
  });
  // 202 PENDING (Kafka reservation mode); 201 RESERVED or 409 ORD_OUT_OF_STOCK with the order's id (REST mode).
  if (response.status === 202 || response.status === 201) return response.body.orderId;
  const refused = response.body as unknown as { error?: { code?: string; details?: { orderId?: string } } };
  const refusedId = refused.error?.details?.orderId;
  if (response.status === 409 && refused.error?.code === 'ORD_OUT_OF_STOCK' && refusedId !== undefined)
    return refusedId;
  throw new Error(`POST /orders: ${response.status} ${JSON.stringify(response.body)}`);
}

/** The order as `token`'s caller sees it. Default: an operator (who sees every order). */
export async function getOrder(orderUrl: string, orderId: string, token?: string): Promise<OrderBody> {
  const response = await http<OrderBody>(`${orderUrl}/orders/${orderId}`, { token: token ?? (await operatorToken()) });
  if (response.status !== 200)
    throw new Error(`GET /orders/${orderId}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/**
 * `POST /orders/{id}/cancel` (no body): the status (202 accepted, 200 already cancelled, 404) and the body.
 * Default caller: an operator.
 */
export async function cancelOrder(orderUrl: string, orderId: string, token?: string) {
  return http<OrderBody & { error?: { code: string; message: string } }>(`${orderUrl}/orders/${orderId}/cancel`, {
    method: 'POST',
    token: token ?? (await operatorToken()),
  });
}

/** One line per saga step, for failure messages: `CHARGE_PAYMENT#2 TIMED_OUT 12:00:01.000 → 12:00:04.000`. */
export function describeSaga(order: OrderBody): string {
  const saga = order.saga;
  if (saga === undefined) return `order ${order.orderId} ${order.status}: no saga in the view`;
  const steps = saga.steps.map(
    (s) => `  ${s.step}#${s.attempt} ${s.status} ${s.startedAt} → ${s.finishedAt ?? '(open)'}`,
  );
  return [`order ${order.orderId} ${order.status}, saga ${saga.state}:`, ...steps].join('\n');
}

/**
 * Polls the order (long-poll, so a change is seen at once) until `done` holds for it; on timeout the error
 * shows where the order and its saga stand.
 */
export async function orderWhere(
  orderUrl: string,
  orderId: string,
  done: (order: OrderBody) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<OrderBody> {
  let last: OrderBody | undefined;
  try {
    return await eventually(
      async () => {
        const { status, body } = await http<OrderBody>(`${orderUrl}/orders/${orderId}?wait=${LONG_POLL_SECONDS}`, {
          token: await operatorToken(),
        });
        if (status !== 200) throw new Error(`GET /orders/${orderId}: ${status} ${JSON.stringify(body)}`);
        last = body;
        return done(body) ? body : undefined;
      },
      timeoutMs,
      `order ${orderId}: ${what}`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${last === undefined ? 'no answer' : describeSaga(last)}`, {
      cause: error,
    });
  }
}

/** Seconds a status read waits for a change (GET /orders/{id}?wait=); short, so a poll also sees saga steps. */
const LONG_POLL_SECONDS = 2;

/** Waits until the order is CONFIRMED or CANCELLED. */
export function settled(orderUrl: string, orderId: string, timeoutMs = 30_000): Promise<OrderBody> {
  return orderWhere(
    orderUrl,
    orderId,
    (order) => order.status === 'CONFIRMED' || order.status === 'CANCELLED',
    'settled',
    timeoutMs,
  );
}

/**
 * Waits until the order's saga is in a final state (CONFIRMED, CANCELLED, COMPENSATION_FAILED) with no step
 * open: a CONFIRMED order still commits its stock after its status settles.
 */
export function sagaFinished(orderUrl: string, orderId: string, timeoutMs = 30_000): Promise<OrderBody> {
  return orderWhere(
    orderUrl,
    orderId,
    (order) =>
      order.saga !== undefined &&
      FINAL_SAGA_STATES.has(order.saga.state) &&
      !order.saga.steps.some((step) => step.status === 'STARTED'),
    'saga finished',
    timeoutMs,
  );
}

const FINAL_SAGA_STATES = new Set(['CONFIRMED', 'CANCELLED', 'COMPENSATION_FAILED']);

export interface NotificationBody {
  channel: string;
  outcome: string;
  createdAt: string;
  [key: string]: unknown;
}

export async function notifications(notificationUrl: string, orderId: string): Promise<NotificationBody[]> {
  const { status, body } = await http<{ notifications: NotificationBody[] }>(
    `${notificationUrl}/notifications?orderId=${orderId}`,
    { token: await operatorToken() },
  );
  // An error must not read as "no notifications": a test counting them would pass or fail for the wrong reason.
  if (status !== 200) throw new Error(`GET /notifications?orderId=${orderId}: ${status} ${JSON.stringify(body)}`);
  return body.notifications;
}

export interface PaymentsBody {
  orderId: string;
  payments: { paymentId: string; status: string; amount: Money; refunded: Money; declineReason?: string }[];
  refunds: { refundId: string; paymentId: string; requested: Money; amount: Money }[];
}

/** The payments and refunds the Payment Service recorded for one order (GET /payments?orderId=). */
export async function paymentsOf(paymentUrl: string, orderId: string): Promise<PaymentsBody> {
  const response = await http<PaymentsBody>(`${paymentUrl}/payments?orderId=${orderId}`, {
    token: await operatorToken(),
  });
  if (response.status !== 200)
    throw new Error(`GET /payments?orderId=${orderId}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}
