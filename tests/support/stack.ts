import type { TestContext } from 'node:test';
import type { KafkaNamespace } from '@shop/platform/kafka/namespace';
import type { RunningService, ServiceDefinition } from '@shop/platform/service';
import { createTestNamespace, eventually, startTestService } from '@shop/platform/testing';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { createNotificationService } from '../../services/notification/src/service.ts';

/** Never the developer's SMTP_URL: the tests read what was sent from the development channel. */
const notificationService = createNotificationService({ env: {} });

import { orderService } from '../../services/order/src/service.ts';

export interface TestStack {
  namespace: KafkaNamespace;
  order: RunningService;
  inventory: RunningService;
  notification: RunningService;
}

export interface StackOptions {
  /** Per-service environment overrides. */
  env?: Partial<Record<'order' | 'inventory' | 'notification', Record<string, string>>>;
  definitions?: Partial<Record<'order' | 'inventory' | 'notification', ServiceDefinition>>;
}

/** The core flow's services, in-process, on one fresh namespace, each with its own database. */
export async function startStack(t: TestContext, options: StackOptions = {}): Promise<TestStack> {
  const namespace = await createTestNamespace(t, 'e2e');
  const start = (label: 'order' | 'inventory' | 'notification', definition: ServiceDefinition) =>
    startTestService(t, options.definitions?.[label] ?? definition, {
      namespace,
      env: { ...options.env?.[label] },
    });
  const [inventory, order, notification] = await Promise.all([
    start('inventory', inventoryService),
    start('order', orderService),
    start('notification', notificationService),
  ]);
  return { namespace, order, inventory, notification };
}

export async function http<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
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
  });
  if (response.status >= 300)
    throw new Error(`PUT /inventory/${sku}: ${response.status} ${JSON.stringify(response.body)}`);
}

export interface OrderBody {
  orderId: string;
  status: string;
  cancelReason?: unknown;
  [key: string]: unknown;
}

export async function placeOrder(
  orderUrl: string,
  items: Array<{ sku: string; quantity: number }>,
  phone?: string,
): Promise<string> {
  const response = await http<{ orderId: string }>(`${orderUrl}/orders`, {
    method: 'POST',
    body: {
      customerId: crypto.randomUUID(),
      items,
      contact: { email: 'customer@example.com', ...(phone === undefined ? {} : { phone }) },
    },
  });
  if (response.status !== 202) throw new Error(`POST /orders: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.orderId;
}

/** Waits (long-poll) until the order is CONFIRMED or CANCELLED. */
export async function settled(orderUrl: string, orderId: string, timeoutMs = 30_000): Promise<OrderBody> {
  return eventually(
    async () => {
      const { body } = await http<OrderBody>(`${orderUrl}/orders/${orderId}?wait=5`);
      return body.status === 'CONFIRMED' || body.status === 'CANCELLED' ? body : undefined;
    },
    timeoutMs,
    `order ${orderId} settled`,
  );
}

export interface NotificationBody {
  channel: string;
  [key: string]: unknown;
}

export async function notifications(notificationUrl: string, orderId: string): Promise<NotificationBody[]> {
  const { body } = await http<{ notifications?: NotificationBody[] } | NotificationBody[]>(
    `${notificationUrl}/notifications?orderId=${orderId}`,
  );
  return Array.isArray(body) ? body : (body.notifications ?? []);
}
