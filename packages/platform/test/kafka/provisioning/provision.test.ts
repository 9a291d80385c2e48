import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, testKafkaConnection, uniqueName } from '@shop/test-support';
import { createAdmin } from '../../../src/kafka/clients.ts';
import { kafkaNamespace } from '../../../src/kafka/namespace.ts';
import { catalogTopics, provisionTopics } from '../../../src/kafka/provisioning/provision.ts';
import { describeAction } from '../../../src/kafka/provisioning/topic-plan.ts';

/** The real catalog under a unique namespace, so the test never touches the topics the services use. */
function renamedCatalog() {
  const namespace = kafkaNamespace(uniqueName('test-provision'));
  return catalogTopics().map((topic) => ({ ...topic, name: namespace.topic(topic.name) }));
}

/**
 * Waits for a plan with no action. An applied change is acknowledged by the controller before the broker
 * that answers the next describe has caught up with the metadata log (a fresh-clone CI run read the old
 * retention once, right after the apply), so "no drift" is what the cluster shows within a few seconds.
 */
async function noDriftWithin(
  connection: Awaited<ReturnType<typeof testKafkaConnection>>,
  catalog: ReturnType<typeof renamedCatalog>,
  what: string,
): Promise<void> {
  await eventually(
    async () => ((await provisionTopics({ connection, catalog })).actions.length === 0 ? true : undefined),
    DRIFT_SETTLE_MS,
    what,
  );
}

/** Longest wait for the cluster to show an applied change. */
const DRIFT_SETTLE_MS = 15_000;

test('topics plan/apply should create the whole catalog, then report no drift, fix a retention change and refuse a shrink', async (t) => {
  const connection = await testKafkaConnection();
  let catalog = renamedCatalog();
  const admin = createAdmin(connection);
  t.after(async () => {
    await admin.deleteTopics({ topics: catalog.map((topic) => topic.name) }).catch(() => {});
    await admin.close();
  });

  const empty = await provisionTopics({ connection, catalog });
  assert.equal(empty.actions.length, catalog.length, 'every catalog topic is listed on an empty cluster');
  assert.ok(empty.actions.every((action) => action.kind === 'create'));

  const applied = await provisionTopics({ connection, catalog, apply: true });
  assert.equal(applied.applied.length, catalog.length);
  await noDriftWithin(connection, catalog, 'no drift after apply');

  const changed = catalog[0];
  assert.ok(changed);
  catalog = catalog.map((topic) =>
    topic === changed ? { ...topic, configs: { ...topic.configs, 'retention.ms': '3600000' } } : topic,
  );
  const drift = await provisionTopics({ connection, catalog });
  assert.deepEqual(drift.actions, [
    {
      kind: 'alter-config',
      name: changed.name,
      key: 'retention.ms',
      from: changed.configs['retention.ms'],
      to: '3600000',
    },
  ]);
  await provisionTopics({ connection, catalog, apply: true });
  await noDriftWithin(connection, catalog, 'apply fixed the retention');

  catalog = catalog.map((topic) =>
    topic.name === changed.name ? { ...topic, partitions: topic.partitions - 1 } : topic,
  );
  const shrink = await provisionTopics({ connection, catalog, apply: true });
  assert.deepEqual(shrink.applied, []);
  assert.equal(shrink.actions[0]?.kind, 'refuse-partition-decrease');
  assert.match(describeAction(shrink.actions[0] as never), /refusing to decrease/);
});
