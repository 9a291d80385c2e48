/**
 * `topics plan|apply` provision the catalog under the namespace the services use (KAFKA_NAMESPACE, or
 * --namespace): an apply that ignored it created the unprefixed catalog beside a namespaced stack.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { allTopics } from '@shop/contracts';
import { createAdmin, kafkaNamespace } from '@shop/platform';
import { removeNamespaceAcls } from '@shop/platform/provisioning';
import { testKafkaConnection } from '@shop/test-support';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

test('topics apply should create the catalog under KAFKA_NAMESPACE, and plan should then show no drift', async (t) => {
  const namespace = `topics-cli-${process.pid}-${Date.now().toString(36)}`;
  const connection = await testKafkaConnection('topics-cli-test');
  const admin = createAdmin(connection);
  const expected = allTopics().map((topic) => `${namespace}.${topic.name}`);
  t.after(async () => {
    const existing = new Set(await admin.listTopics());
    const created = expected.filter((name) => existing.has(name));
    if (created.length > 0) await admin.deleteTopics({ topics: created });
    await admin.close();
    // apply also granted the catalog's ACLs in the namespace (on a secured cluster).
    await removeNamespaceAcls(connection, kafkaNamespace(namespace));
  });
  const env = { ...process.env, KAFKA_NAMESPACE: namespace };

  const applied = await run(process.execPath, [CLI, 'topics', 'apply'], { env });
  assert.ok(applied.stdout.includes(`applied + create ${namespace}.`), applied.stdout);
  const existing = new Set(await admin.listTopics());
  assert.deepEqual(
    expected.filter((name) => !existing.has(name)),
    [],
    'every catalog topic exists under the namespace',
  );

  const planned = await run(process.execPath, [CLI, 'topics', 'plan', '--namespace', namespace], { env: process.env });
  assert.match(planned.stdout, /No drift/);
});
