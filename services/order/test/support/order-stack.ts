/** Boots the Order Service on its own namespace and database, with the Inventory simulator and an outcome recorder. */
import type { TestContext } from 'node:test';
import type { KafkaNamespace } from '@shop/platform/kafka/namespace';
import type { RunningService } from '@shop/platform/service';
import { createTestNamespace, startTestService } from '@shop/platform/testing';
import { orderService } from '../../src/service.ts';
import { type InventorySimulator, startInventorySimulator } from './inventory-simulator.ts';
import { type OrderApi, orderApi } from './order-api.ts';
import { recordTopic, type TopicRecorder } from './topic-recorder.ts';

export interface OrderStack {
  namespace: KafkaNamespace;
  service: RunningService;
  api: OrderApi;
  inventory: InventorySimulator;
  outcomes: TopicRecorder;
}

export async function startOrderStack(t: TestContext): Promise<OrderStack> {
  const namespace = await createTestNamespace(t, 'test-order');
  const service = await startTestService(t, orderService, {
    namespace,
  });
  const [inventory, outcomes] = await Promise.all([
    startInventorySimulator(t, namespace),
    recordTopic(t, namespace, 'orderOutcomes'),
  ]);
  return { namespace, service, api: orderApi(service.url), inventory, outcomes };
}
