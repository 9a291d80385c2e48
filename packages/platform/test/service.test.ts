import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { CONSUMER_GROUPS } from '@shop/contracts';
import {
  createTestNamespace,
  testBootstrapServers,
  testKafkaConnection,
  testPostgresUrl,
  uniqueName,
} from '@shop/test-support';
import { dropDatabase } from '../src/db/databases.ts';
import { createAdmin } from '../src/kafka/clients.ts';
import { platformMigrations } from '../src/platform-migrations.ts';
import { startService } from '../src/service.ts';

test('a boot that fails after its consumers started (the HTTP port is taken) stops them before it throws', async (t) => {
  const namespace = await createTestNamespace(t, 'test-boot');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as { port: number }).port;
  const serverUrl = await testPostgresUrl();
  const databaseName = uniqueName('t_boot', '_').toLowerCase();
  t.after(() => dropDatabase(serverUrl, databaseName));
  let consumed = false;

  await assert.rejects(
    startService(
      {
        name: 'inventory-service',
        defaultPort: port,
        defaultDatabase: databaseName,
        migrations: [platformMigrations],
        async start(context) {
          await context.consume('reserveStock', async () => {});
          consumed = true;
        },
      },
      {
        KAFKA_BOOTSTRAP_SERVERS: (await testBootstrapServers()).join(','),
        DATABASE_URL: serverUrl,
        DATABASE_NAME: databaseName,
        KAFKA_NAMESPACE: namespace.prefix,
        PORT: String(port),
        LOG_LEVEL: 'silent',
      },
    ),
    { code: 'EADDRINUSE' },
  );
  assert.ok(consumed, 'the consumer had started before the boot failed');
  const admin = createAdmin(await testKafkaConnection());
  t.after(() => admin.close());
  const groups = CONSUMER_GROUPS.filter((group) => group.consumerId === 'reserveStock').map((group) =>
    namespace.group(group.groupId),
  );
  const described = await admin.describeGroups({ groups });
  assert.deepEqual(
    groups.map((group) => described.get(group)?.members.size),
    [0, 0],
    'both members of the consumer left their groups',
  );
});
