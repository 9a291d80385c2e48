/**
 * The catalog's ACLs on the real, secured broker (npm test's local broker always is; KAFKA_CREDENTIALS_DIR
 * holds every principal's password): each refusal is preceded by the same principal succeeding at what it is
 * allowed, so a refusal cannot come from a broken connection or a missing topic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consumer, SERVICES, topicName } from '@shop/contracts';
import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
import { topic } from '@shop/contracts/topics';
import {
  checkKafka,
  createAdmin,
  createConsumer,
  createProducer,
  type KafkaConnection,
  type KafkaNamespace,
} from '@shop/platform';
import { catalogAcls, describeAcl, provisionTopics, readAcls } from '@shop/platform/provisioning';
import {
  createTestNamespace,
  eventually,
  testBootstrapServers,
  testKafkaConnection,
  testPrincipalConnection,
  uniqueName,
} from '@shop/test-support';
import { placeOrder, putStock, settled, startStack } from '@shop/test-support/stack';
import { catalogGroups, LagReader } from '../../tools/src/lag/lag-reader.ts';

/** Every protocol error code in an error and the errors it wraps (the client nests them per broker/partition). */
function errorCodes(error: unknown, depth = 0): string[] {
  if (error === null || typeof error !== 'object' || depth > 6) return [];
  const { apiId, code, errors, cause, message } = error as Record<string, unknown>;
  const own = [apiId, code].filter((value): value is string => typeof value === 'string');
  const fromMessage = String(message ?? '').match(/[A-Z_]+_AUTHORIZATION_FAILED|SASL_AUTHENTICATION_FAILED/g) ?? [];
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])].flatMap((inner) => errorCodes(inner, depth + 1));
  return [...own, ...fromMessage, ...nested];
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(errorCodes(error).includes(code), `expected ${code}, got ${errorCodes(error).join(', ')}: ${error}`);
    return true;
  });
}

function record(topicName: string) {
  return { topic: topicName, key: uniqueName('k'), value: Buffer.from('{}') };
}

async function send(connection: KafkaConnection, topicName: string): Promise<void> {
  // No retries: an authorisation failure is final, and the test should not wait out the client's backoff.
  const producer = createProducer(connection, { retries: 0 });
  try {
    await producer.send({ messages: [record(topicName)] });
  } finally {
    await producer.close();
  }
}

/** The first record of `topicName` that group `groupId` reads from the beginning. */
async function readOne(connection: KafkaConnection, groupId: string, topicName: string): Promise<string> {
  const reader = createConsumer(connection, groupId, { retries: 0, maxWaitTime: 500 });
  try {
    const stream = await reader.consume({ topics: [topicName], mode: 'earliest', fallbackMode: 'earliest' });
    try {
      for await (const message of stream) return message.key;
      throw new Error('stream ended without a record');
    } finally {
      await stream.close();
    }
  } finally {
    await reader.close();
  }
}

async function securedNamespace(t: Parameters<typeof createTestNamespace>[0]): Promise<KafkaNamespace> {
  const namespace = await createTestNamespace(t, 'acl');
  // A record on every topic the tests read, written by the super user, so a permitted read has something to return.
  const admin = await testKafkaConnection('acl-seed');
  for (const id of ['orderPlaced', 'reservationResults'] as const) await send(admin, namespace.topic(topicName(id)));
  return namespace;
}

test("a service's principal writes its own topics but gets TOPIC_AUTHORIZATION_FAILED on a topic it does not own", async (t) => {
  const namespace = await securedNamespace(t);
  const order = await testPrincipalConnection('order-service');
  await send(order, namespace.topic(topic('orderPlaced').name));
  assert.equal(topic('reservationResults').owner, 'inventory-service');
  await refusedWith(send(order, namespace.topic(topic('reservationResults').name)), 'TOPIC_AUTHORIZATION_FAILED');
  // Its consumers' retry tiers are its own too; another service's retry tier is not.
  await send(
    await testPrincipalConnection('inventory-service'),
    namespace.topic(`${consumer('reserveStock').groupId}.retry-1`),
  );
  await refusedWith(
    send(order, namespace.topic(`${consumer('reserveStock').groupId}.retry-1`)),
    'TOPIC_AUTHORIZATION_FAILED',
  );
});

test('a service reads only the topics it consumes and joins only its own groups', async (t) => {
  const namespace = await securedNamespace(t);
  const order = await testPrincipalConnection('order-service');
  const sagaGroup = namespace.group(consumer('orderSaga').groupId);
  assert.ok(consumer('orderSaga').sources.includes('reservationResults'));
  await readOne(order, sagaGroup, namespace.topic(topicName('reservationResults')));
  // orderPlaced is consumed by the Inventory Service only.
  await refusedWith(readOne(order, sagaGroup, namespace.topic(topicName('orderPlaced'))), 'TOPIC_AUTHORIZATION_FAILED');
  await refusedWith(
    readOne(order, namespace.group(consumer('reserveStock').groupId), namespace.topic(topicName('reservationResults'))),
    'GROUP_AUTHORIZATION_FAILED',
  );
});

test('the lag reader describes groups but cannot write; the DLT replayer writes retry tiers only', async (t) => {
  const namespace = await securedNamespace(t);
  const lag = await testPrincipalConnection(TOOL_PRINCIPALS.lagReader);
  const admin = createAdmin(lag);
  t.after(() => admin.close());
  const group = namespace.group(consumer('reserveStock').groupId);
  const described = await admin.describeGroups({ groups: [group] });
  assert.ok(described.has(group));
  // With WRITE on no topic at all, its idempotent producer is refused a producer id before any topic is named.
  await refusedWith(send(lag, namespace.topic(topicName('orderPlaced'))), 'CLUSTER_AUTHORIZATION_FAILED');

  const replayer = await testPrincipalConnection(TOOL_PRINCIPALS.dltReplayer);
  await send(replayer, namespace.topic(`${consumer('reserveStock').groupId}.retry-1`));
  await refusedWith(send(replayer, namespace.topic(topicName('orderPlaced'))), 'TOPIC_AUTHORIZATION_FAILED');
});

test('a client without credentials, or with a wrong password, is refused', async () => {
  const servers = await testBootstrapServers();
  const good = await testPrincipalConnection('payment-service');
  await checkKafka(servers, undefined, good.security);
  await assert.rejects(checkKafka(servers, 2_000), { code: 'PLT_KAFKA_UNREACHABLE' });
  const wrong = {
    ...good.security,
    sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'payment-service', password: 'not-it' },
  };
  await assert.rejects(checkKafka(servers, 2_000, wrong), (error: Error) => {
    assert.match(error.message, /refused the login of payment-service/);
    return true;
  });
});

test('topics plan shows no ACL drift after apply, keeps an ACL it did not create, and --prune removes it', async (t) => {
  const namespace = await createTestNamespace(t, 'aclplan');
  const connection = await testKafkaConnection('acl-plan');
  const plan = await provisionTopics({ connection, namespace });
  assert.equal(plan.acls?.enforced, true);
  assert.deepEqual(plan.acls?.missing.map(describeAcl), []);
  assert.deepEqual(plan.acls?.extra.map(describeAcl), []);

  const admin = createAdmin(connection);
  t.after(() => admin.close());
  const stray = namespace.topic(`${SERVICES[0]}.stray`);
  const { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } = await import(
    '@platformatic/kafka'
  );
  await admin.createAcls({
    creations: [
      {
        resourceType: ResourceTypes.TOPIC,
        resourceName: stray,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:order-service',
        host: '*',
        operation: AclOperations.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ],
  });
  // ACLs reach the broker's authorizer through the metadata log, a moment after CreateAcls answered: the
  // plan must not run before the stray binding can be read (in a loaded CI run it found none).
  await eventually(
    async () => ((await readAcls(admin))?.some((binding) => binding.resourceName === stray) ? true : undefined),
    20_000,
    'the stray ACL to be readable',
  );
  const kept = await provisionTopics({ connection, namespace, apply: true });
  assert.deepEqual(kept.acls?.extra.map(describeAcl), [`User:order-service WRITE topic ${stray}`]);
  assert.deepEqual(kept.acls?.deleted, []);
  assert.ok((await readAcls(admin))?.some((binding) => binding.resourceName === stray));

  const pruned = await provisionTopics({ connection, namespace, apply: true, prune: true });
  assert.deepEqual(pruned.acls?.deleted.map(describeAcl), [`User:order-service WRITE topic ${stray}`]);
  assert.ok(!(await readAcls(admin))?.some((binding) => binding.resourceName === stray));
  // Catalog ACLs of the namespace were left alone.
  const live = new Set((await readAcls(admin))?.map(describeAcl));
  for (const binding of catalogAcls(namespace)) assert.ok(live.has(describeAcl(binding)), describeAcl(binding));
});

test('the order flow passes with every service under its own principal and the catalog ACLs only', async (t) => {
  const stack = await startStack(t);
  for (const service of [stack.order, stack.inventory, stack.payment, stack.notification]) {
    const login = service.context.config.kafka.security?.sasl?.username;
    assert.equal(login, service.context.config.service, 'each service logs in as itself, not as a super user');
  }
  const sku = uniqueName('ACL')
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-')
    .slice(0, 40);
  await putStock(stack.inventory.url, sku, 3);
  const orderId = await placeOrder(stack.order.url, [{ sku, quantity: 1 }]);
  assert.equal((await settled(stack.order.url, orderId)).status, 'CONFIRMED');

  // The lag reader's grants are enough for what it reads: every group's state, offsets and time lag.
  const reader = new LagReader(await testPrincipalConnection(TOOL_PRINCIPALS.lagReader));
  t.after(() => reader.close());
  const lags = await reader.read(catalogGroups(stack.namespace));
  assert.deepEqual(
    lags.filter((lag) => lag.error !== undefined).map((lag) => `${lag.group}: ${lag.error}`),
    [],
  );
  const reserve = lags.find((lag) => lag.group === stack.namespace.group(consumer('reserveStock').groupId));
  assert.ok(reserve?.partitions.some((partition) => partition.committedOffset !== undefined));
  assert.ok(reserve?.partitions.every((partition) => partition.timeLagSource !== 'unreadable'));
});
