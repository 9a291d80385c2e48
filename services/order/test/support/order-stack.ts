/** Boots the Order Service on its own namespace and database, with the Inventory simulator and an outcome recorder. */
import type { TestContext } from 'node:test';
import type { KafkaNamespace, RunningService } from '@shop/platform';
import { createTestNamespace, startTestService } from '@shop/test-support';
import { orderService } from '../../src/service.ts';
import { type InventorySimulator, startInventorySimulator } from './inventory-simulator.ts';
import { type OrderApi, orderApi } from './order-api.ts';
import { type SagaReplies, startSagaReplies } from './saga-replies.ts';
import { recordTopic, type TopicRecorder } from './topic-recorder.ts';

export interface OrderStack {
  namespace: KafkaNamespace;
  service: RunningService;
  api: OrderApi;
  inventory: InventorySimulator;
  outcomes: TopicRecorder;
  /** Payment's and Inventory's replies to the saga's commands. */
  replies: SagaReplies;
}

export async function startOrderStack(t: TestContext, env: Record<string, string> = {}): Promise<OrderStack> {
  const namespace = await createTestNamespace(t, 'test-order');
  const service = await startTestService(t, orderService, { namespace, env });
  const [inventory, outcomes] = await Promise.all([
    startInventorySimulator(t, namespace),
    recordTopic(t, namespace, 'orderOutcomes'),
  ]);
  const replies = await startSagaReplies(t, namespace, inventory);
  return { namespace, service, api: orderApi(service.url), inventory, outcomes, replies };
}
