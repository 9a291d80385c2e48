/**
 * The HTTP calls the load tool makes, in one place: it drives the system from outside, like a customer and
 * an operator would, and never reads the services' databases.
 */

import { mintToken } from '@shop/platform';
import { HttpClient } from './http-client.ts';
import type { OrderPayments } from './payment-reconciliation.ts';

/** Requests are bounded: a hung connection must not hang the run. */
export const HTTP_TIMEOUT_MS = 35_000;

export interface SmallResponse {
  status: number;
  body: string;
}

/**
 * The hot path (one POST and one or more long-polls per order) goes through HttpClient (http-client.ts):
 * the generator shares the CPU with the stack, and both `fetch` and node:http cost it noticeably more per
 * request. One client (a keep-alive pool) per origin; a long-poll holds a connection while it waits.
 */
const clients = new Map<string, HttpClient>();

/** `origin` as given in StackUrls (http://host:port); `path` with its query; `headers` as ready-made lines. */
function send(origin: string, method: 'GET' | 'POST', path: string, headers = '', body?: string) {
  let client = clients.get(origin);
  if (client === undefined) {
    client = new HttpClient(origin, HTTP_TIMEOUT_MS);
    clients.set(origin, client);
  }
  return client.request(method, path, headers, body).catch((error: Error) => {
    if (error.name === 'TimeoutError') error.message = `${method} ${origin}${path}: ${error.message}`;
    throw error;
  });
}

/** Where the stack answers, and the HS256 secret its services verify tokens with (`.run/auth-secret`). */
export interface StackUrls {
  order: string;
  inventory: string;
  payment: string;
  notification: string;
  /** The tool acts as each customer (their own token) and as an operator (restocking, reconciling). */
  authSecret: string;
}

/** Tokens live longer than any run; minted once per customer (a run reuses a pool of customers). */
const TOKEN_TTL_SECONDS = 24 * 60 * 60;
const tokens = new Map<string, Promise<string>>();

function token(urls: StackUrls, subject: string, role: 'customer' | 'operator'): Promise<string> {
  const key = `${urls.authSecret}\u0000${role}\u0000${subject}`;
  let minted = tokens.get(key);
  if (minted === undefined) {
    minted = mintToken(urls.authSecret, { subject, roles: [role], ttlSeconds: TOKEN_TTL_SECONDS });
    tokens.set(key, minted);
  }
  return minted;
}

/**
 * Mints the customers' tokens ahead of the load, so that signing is not charged to the generator's CPU in
 * the measured window (one WebCrypto job per token: 10,000 customers per run).
 */
export async function mintCustomerTokens(urls: StackUrls, customerIds: readonly string[]): Promise<void> {
  await Promise.all(customerIds.map((customerId) => token(urls, customerId, 'customer')));
}

const OPERATOR = 'load-tool';

async function operatorHeaders(urls: StackUrls): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await token(urls, OPERATOR, 'operator')}` };
}

export interface Product {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

export interface OrderView {
  orderId: string;
  status: string;
  createdAt: string;
  settledAt?: string | null;
  total?: { amountMinor: number; currency: string };
}

export interface NotificationView {
  channel: string;
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Page size when listing the catalog. */
const PRODUCT_PAGE_SIZE = 1_000;

export async function listProducts(urls: StackUrls): Promise<Product[]> {
  const products: Product[] = [];
  let after: string | undefined;
  do {
    const query = `limit=${PRODUCT_PAGE_SIZE}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
    const page = await json<{ items: Product[]; nextAfter?: string | null }>(
      await fetch(`${urls.inventory}/inventory?${query}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) }),
      'GET /inventory',
    );
    products.push(...page.items);
    after = page.nextAfter ?? undefined;
  } while (after !== undefined);
  return products;
}

/** Sets a product's available stock (PUT /inventory/{sku}); the operator action that adds units. */
export async function setAvailable(urls: StackUrls, sku: string, available: number): Promise<void> {
  await json(
    await fetch(`${urls.inventory}/inventory/${encodeURIComponent(sku)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(await operatorHeaders(urls)) },
      body: JSON.stringify({ available }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `PUT /inventory/${sku}`,
  );
}

/** `customerId` is not sent: the order is placed with that customer's token. */
export interface PlaceOrderInput {
  customerId: string;
  items: Array<{ sku: string; quantity: number }>;
  contact: { email: string; phone?: string };
}

export async function placeOrder(
  urls: StackUrls,
  input: PlaceOrderInput,
  idempotencyKey: string,
): Promise<SmallResponse> {
  const { customerId, ...order } = input;
  const body = JSON.stringify(order);
  return send(
    urls.order,
    'POST',
    '/orders',
    `content-type: application/json\r\nidempotency-key: ${idempotencyKey}\r\nauthorization: Bearer ${await token(urls, customerId, 'customer')}\r\n`,
    body,
  );
}

/** Long-polls the order until it leaves PENDING or `waitSeconds` pass. */
export async function awaitOrder(urls: StackUrls, orderId: string, waitSeconds: number): Promise<OrderView> {
  const response = await send(
    urls.order,
    'GET',
    `/orders/${orderId}?wait=${waitSeconds}`,
    `authorization: Bearer ${await token(urls, OPERATOR, 'operator')}\r\n`,
  );
  if (response.status !== 200) throw new Error(`GET /orders/${orderId}: HTTP ${response.status} ${response.body}`);
  return JSON.parse(response.body) as OrderView;
}

/** The payments and refunds the Payment Service holds for an order (`GET /payments?orderId=`). */
export async function paymentsOf(urls: StackUrls, orderId: string): Promise<OrderPayments> {
  return json<OrderPayments>(
    await fetch(`${urls.payment}/payments?orderId=${orderId}`, {
      headers: await operatorHeaders(urls),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `GET /payments?orderId=${orderId}`,
  );
}

export async function notificationsOf(urls: StackUrls, orderId: string): Promise<NotificationView[]> {
  const body = await json<{ notifications?: NotificationView[] } | NotificationView[]>(
    await fetch(`${urls.notification}/notifications?orderId=${orderId}`, {
      headers: await operatorHeaders(urls),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `GET /notifications?orderId=${orderId}`,
  );
  return Array.isArray(body) ? body : (body.notifications ?? []);
}
