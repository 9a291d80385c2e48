/**
 * Regression: a consumer whose partitions' leader broker was killed must move its fetches to the new leaders
 * and keep its stream. The client retried a fetch planned for the dead broker there (its partitions had
 * different new leaders, and the client then falls back to the planned node) until its attempts were spent,
 * about 30 s, or failed it at once when the fenced broker left the metadata; either way the stream died, and
 * a service's member had to rejoin its group. The record source answers such fetches empty so that the stream
 * plans them again (packages/platform/src/consume/ports.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deferCleanups, eventually } from '@shop/test-support';
import { findFreePortBlock, startCluster } from '../../infra/kafka/src/index.ts';
import { openRecordSource } from '../../packages/platform/src/consume/ports.ts';
import { createAdmin, createProducer } from '../../packages/platform/src/kafka/clients.ts';

const TOPIC = 'failover';
const SEND_EVERY_MS = 20;
/** Keep sending this long after the kill: past the ~33 s after which the stream used to die. */
const SEND_AFTER_KILL_MS = 45_000;
/** Every record sent must have arrived within this after the last send. */
const CATCH_UP_MS = 60_000;

test('a consumer should keep its stream and read from the new leaders after the broker leading its partitions is killed', {
  timeout: 8 * 60_000,
}, async (t) => {
  // Newest first: the cluster stops before its data directory is removed.
  const defer = deferCleanups(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'fetch-failover-'));
  defer(() => rm(dataDir, { recursive: true, force: true }));
  const cluster = await startCluster({
    clientBasePort: await findFreePortBlock(3),
    controllerBasePort: await findFreePortBlock(3),
    dataDir,
    readyTimeoutMs: 240_000,
    report: () => {},
  });
  defer(() => cluster.stop());
  // The provisioner's login (a super user): this is about the client's failover, not about ACLs.
  const connection = {
    bootstrapServers: cluster.bootstrapServers,
    clientId: 'fetch-failover',
    security: { sasl: cluster.security.admin },
  };
  const admin = createAdmin(connection);
  defer(() => admin.close());
  await admin.createTopics({ topics: [TOPIC], partitions: 6, replicas: 3 });

  const received = new Set<string>();
  const source = await openRecordSource({
    connection,
    groupId: 'fetch-failover',
    topics: [TOPIC],
    isFull: () => false,
    onRecord: (record) => received.add(String(record.value)),
    onRebalance: () => {},
  });
  defer(() => source.close());
  let died: Error | undefined;
  void source.died.then((error) => {
    died = error;
  });

  const producer = createProducer(connection);
  defer(() => producer.close());
  const sent: string[] = [];
  const sends: Array<Promise<unknown>> = [];
  let next = 0;
  const sender = setInterval(() => {
    const value = String(next++);
    sends.push(
      producer
        .send({ messages: [{ topic: TOPIC, key: String(next % 60), value: Buffer.from(value) }] })
        .then(() => sent.push(value)),
    );
  }, SEND_EVERY_MS);
  defer(() => clearInterval(sender));

  await eventually(async () => (received.size >= 50 ? true : undefined), 60_000, 'the first records to arrive');
  const metadata = await admin.metadata({ topics: [TOPIC] });
  const leader = metadata.topics.get(TOPIC)?.partitions[0]?.leader;
  assert.ok(leader !== undefined, 'partition 0 has a leader');
  cluster.node(leader).kill('SIGKILL');

  await new Promise((resolve) => setTimeout(resolve, SEND_AFTER_KILL_MS));
  clearInterval(sender);
  await Promise.allSettled(sends);
  assert.ok(sent.length > 50, 'records were acknowledged after the kill');
  await eventually(
    async () => (sent.every((value) => received.has(value)) ? true : undefined),
    CATCH_UP_MS,
    `every acknowledged record (${sent.length}) read by the same stream`,
  );
  assert.equal(died, undefined, `the stream died: ${died?.message}`);
});
