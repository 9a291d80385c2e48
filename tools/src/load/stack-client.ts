/**
 * The HTTP calls the load tool makes, in one place: it drives the system from outside, like a customer and
 * an operator would, and never reads the services' databases.
 */

import { Agent, request } from 'node:http';

import type { OrderPayments } from './payment-reconciliation.ts';

/** Requests are bounded: a hung connection must not hang the run. */
export const HTTP_TIMEOUT_MS = 35_000;

/**
 * The hot path (one POST and one or more long-polls per order) goes through node:http with keep-alive
 * sockets: the generator shares the CPU with the stack, and `fetch` costs it noticeably more per request.
 * Sockets are reused between requests; a long-poll holds one while it waits.
 */
const agent = new Agent({ keepAlive: true, scheduling: 'lifo' });

export interface SmallResponse {
  status: number;
  body: string;
}

function send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string) {
  return new Promise<SmallResponse>((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: HTTP_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => {
      const error = new Error(`${method} ${url}: no answer within ${HTTP_TIMEOUT_MS} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface StackUrls {
  order: string;
  inventory: string;
  payment: string;
  notification: string;
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
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ available }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `PUT /inventory/${sku}`,
  );
}

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
  const body = JSON.stringify(input);
  return send(
    `${urls.order}/orders`,
    'POST',
    {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'idempotency-key': idempotencyKey,
    },
    body,
  );
}

/** Long-polls the order until it leaves PENDING or `waitSeconds` pass. */
export async function awaitOrder(urls: StackUrls, orderId: string, waitSeconds: number): Promise<OrderView> {
  const response = await send(`${urls.order}/orders/${orderId}?wait=${waitSeconds}`, 'GET', {});
  if (response.status !== 200) throw new Error(`GET /orders/${orderId}: HTTP ${response.status} ${response.body}`);
  return JSON.parse(response.body) as OrderView;
}

/** The payments and refunds the Payment Service holds for an order (`GET /payments?orderId=`). */
export async function paymentsOf(urls: StackUrls, orderId: string): Promise<OrderPayments> {
  return json<OrderPayments>(
    await fetch(`${urls.payment}/payments?orderId=${orderId}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) }),
    `GET /payments?orderId=${orderId}`,
  );
}

export async function notificationsOf(urls: StackUrls, orderId: string): Promise<NotificationView[]> {
  const body = await json<{ notifications?: NotificationView[] } | NotificationView[]>(
    await fetch(`${urls.notification}/notifications?orderId=${orderId}`, {
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `GET /notifications?orderId=${orderId}`,
  );
  return Array.isArray(body) ? body : (body.notifications ?? []);
}
