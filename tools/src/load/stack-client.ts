/**
 * The HTTP calls the load tool makes, in one place: it drives the system from outside, like a customer and
 * an operator would, and never reads the services' databases.
 */

/** Requests are bounded: a hung connection must not hang the run. */
export const HTTP_TIMEOUT_MS = 35_000;

export interface StackUrls {
  order: string;
  inventory: string;
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

export async function placeOrder(urls: StackUrls, input: PlaceOrderInput, idempotencyKey: string): Promise<Response> {
  return fetch(`${urls.order}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
}

/** Long-polls the order until it leaves PENDING or `waitSeconds` pass. */
export async function awaitOrder(urls: StackUrls, orderId: string, waitSeconds: number): Promise<OrderView> {
  return json<OrderView>(
    await fetch(`${urls.order}/orders/${orderId}?wait=${waitSeconds}`, {
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }),
    `GET /orders/${orderId}`,
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
