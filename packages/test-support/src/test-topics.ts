import type { TestContext } from 'node:test';
import { createAdmin, type KafkaAdmin, type KafkaNamespace, kafkaNamespace } from '@shop/platform';
import { provisionTopics, removeNamespaceAcls } from '@shop/platform/provisioning';
import { testKafkaConnection } from './infrastructure.ts';
import { uniqueName } from './unique-name.ts';

export interface TestTopicOptions {
  /** Default: 3. */
  partitions?: number;
  /** Default: 1, which every cluster can host. */
  replicas?: number;
  configs?: Record<string, string>;
}

/** Creates uniquely named topics, deleted after the test. Returns the names in the order of `prefixes`. */
export async function createTestTopics(
  t: TestContext,
  prefixes: readonly string[],
  options: TestTopicOptions = {},
): Promise<string[]> {
  const admin: KafkaAdmin = createAdmin(await testKafkaConnection('test-admin'));
  const names = prefixes.map((prefix) => uniqueName(`test.${prefix}`));
  await admin.createTopics({
    topics: names,
    partitions: options.partitions ?? 3,
    replicas: options.replicas ?? 1,
    configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
  });
  t.after(async () => {
    await admin.deleteTopics({ topics: names }).catch(() => {});
    await admin.close();
  });
  return names;
}

const namespacesWithAcls: KafkaNamespace[] = [];

/**
 * The namespaces' ACLs are removed when the test process is done, not in the test's after-hooks: those run in
 * registration order, so a service a test started after creating its namespace is still running when the
 * namespace's hooks run, and a consumer whose group ACL vanished under it retries its leave and commit
 * requests instead of closing. 'beforeExit' comes once every handle is closed, so nothing uses them any more.
 */
function removeAclsAtExit(namespace: KafkaNamespace): void {
  if (namespacesWithAcls.length === 0) {
    process.once('beforeExit', async () => {
      const connection = await testKafkaConnection('test-acl-cleanup');
      for (const each of namespacesWithAcls.splice(0)) await removeNamespaceAcls(connection, each).catch(() => {});
    });
  }
  namespacesWithAcls.push(namespace);
}

/**
 * A unique Kafka namespace with the whole topic catalog provisioned in it (RF capped to the cluster), its
 * topics deleted after the test. Services started with it (KAFKA_NAMESPACE) use only these topics and groups;
 * on a secured cluster the catalog's ACLs are granted in it too (and removed after), so each service runs under
 * exactly the permissions it has in production.
 */
export async function createTestNamespace(t: TestContext, prefix = 'test'): Promise<KafkaNamespace> {
  const namespace = kafkaNamespace(uniqueName(prefix));
  const connection = await testKafkaConnection('test-provision');
  const result = await provisionTopics({ connection, namespace, apply: true });
  t.after(async () => {
    const admin = createAdmin(connection);
    await admin
      .deleteTopics({ topics: result.applied.flatMap((a) => (a.kind === 'create' ? [a.topic.name] : [])) })
      .catch(() => {});
    await admin.close();
  });
  removeAclsAtExit(namespace);
  return namespace;
}
