import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { CLUSTER_SIZE, findFreePortBlock, type KafkaCluster, startCluster, stderrReporter } from '../src/index.ts';
import { pollUntil } from '../src/poll-until.ts';

/** Cluster start (~15 s) + failover (~10 s) + restart and ISR recovery (~10 s) + stop, with headroom. */
const TEST_TIMEOUT_MS = 180_000;
const TOPIC = 'fault-test';
const PARTITIONS = 3;
const MIN_INSYNC_REPLICAS = 2;
/** Records sent before and again after the crash; enough to cross every partition several times. */
const RECORDS_PER_PHASE = 30;
/**
 * Fencing a SIGKILLed broker takes broker.session.timeout.ms (9 s by default) plus a possible KRaft
 * controller election; the clients' default 3 retries at 1 s would give up long before that.
 */
const CLIENT_RETRIES = 120;
const CLIENT_RETRY_DELAY_MS = 250;
const TOPIC_READY_TIMEOUT_MS = 30_000;
const READ_BACK_TIMEOUT_MS = 60_000;
const ISR_RECOVERY_TIMEOUT_MS = 60_000;

type PartitionState = { leader: number; isr: number[] };

async function partitions(admin: Admin): Promise<PartitionState[]> {
  const metadata = await admin.metadata({ topics: [TOPIC], forceUpdate: true });
  const topic = metadata.topics.get(TOPIC);
  assert.ok(topic, `topic ${TOPIC} is in the metadata`);
  return topic.partitions.map(({ leader, isr }) => ({ leader, isr: [...isr].sort() }));
}

const fullyReplicated = (states: PartitionState[]): boolean =>
  states.length === PARTITIONS && states.every((state) => state.leader >= 0 && state.isr.length === CLUSTER_SIZE);

test('a three-node cluster keeps every acks=all write through a broker crash and heals after restart', {
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-cluster-test-'));
  // One block for all six ports so client and controller ranges cannot overlap.
  const basePort = await findFreePortBlock(2 * CLUSTER_SIZE);
  // Closed newest first: a consumer refuses to leave its group while its stream is still open, and a
  // client that failed to close keeps timers running that would hold the test process open.
  const closers: (() => Promise<unknown>)[] = [];
  const closeClients = async (): Promise<void> => {
    for (let close = closers.pop(); close; close = closers.pop()) await close();
  };
  let cluster: KafkaCluster | undefined;
  t.after(async () => {
    try {
      await closeClients();
    } finally {
      await cluster?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  cluster = await startCluster({
    clientBasePort: basePort,
    controllerBasePort: basePort + CLUSTER_SIZE,
    dataDir,
    report: stderrReporter,
  });
  const { bootstrapServers } = cluster;
  const common = {
    bootstrapBrokers: bootstrapServers,
    sasl: cluster.security.admin,
    retries: CLIENT_RETRIES,
    retryDelay: CLIENT_RETRY_DELAY_MS,
  };

  const admin = new Admin({ clientId: 'fault-test-admin', ...common });
  closers.push(() => admin.close());
  await admin.createTopics({
    topics: [TOPIC],
    partitions: PARTITIONS,
    replicas: CLUSTER_SIZE,
    configs: [{ name: 'min.insync.replicas', value: String(MIN_INSYNC_REPLICAS) }],
  });
  await pollUntil('the topic to be fully replicated', TOPIC_READY_TIMEOUT_MS, async () =>
    fullyReplicated(await partitions(admin)) ? true : undefined,
  );

  const producer = new Producer({
    clientId: 'fault-test-producer',
    ...common,
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
  });
  closers.push(() => producer.close());
  const acknowledged: string[] = [];
  const produce = async (phase: string): Promise<number> => {
    const startedAt = Date.now();
    for (let index = 0; index < RECORDS_PER_PHASE; index += 1) {
      const value = `${phase}-${index}`;
      // Explicit partitions make sure partition 0, whose leader gets killed, is written in both phases.
      await producer.send({ messages: [{ topic: TOPIC, key: value, value, partition: index % PARTITIONS }] });
      acknowledged.push(value);
    }
    return Date.now() - startedAt;
  };

  // Joining a group before the crash creates __consumer_offsets (RF 3) while all three brokers are up.
  const received = new Set<string>();
  let consumeError: Error | undefined;
  const consumer = new Consumer({
    clientId: 'fault-test-consumer',
    groupId: `fault-test-${Date.now()}`,
    ...common,
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  });
  closers.push(() => consumer.close());
  const stream = await consumer.consume({
    topics: [TOPIC],
    mode: 'earliest',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  closers.push(() => stream.close());
  let deliveries = 0;
  stream.on('data', (message) => {
    deliveries += 1;
    received.add(message.value);
  });
  stream.on('error', (error) => {
    consumeError = error;
  });

  const beforeMs = await produce('before');
  t.diagnostic(`${RECORDS_PER_PHASE} acks=all sends before the crash took ${beforeMs} ms`);

  const [partition0] = await partitions(admin);
  assert.ok(partition0 && partition0.leader > 0, 'partition 0 has a leader');
  const victim = cluster.node(partition0.leader);
  victim.kill('SIGKILL');
  assert.ok(await victim.waitForExit(5_000), `node ${victim.nodeId} died`);
  t.diagnostic(`SIGKILLed node ${victim.nodeId}, the leader of partition 0`);

  const afterMs = await produce('after');
  t.diagnostic(`${RECORDS_PER_PHASE} acks=all sends after the crash took ${afterMs} ms (includes the failover)`);

  const degraded = await partitions(admin);
  for (const [index, state] of degraded.entries()) {
    assert.notEqual(state.leader, victim.nodeId, `partition ${index} moved its leadership off the dead node`);
    assert.ok(!state.isr.includes(victim.nodeId), `partition ${index} dropped the dead node from its ISR`);
    assert.ok(state.isr.length >= MIN_INSYNC_REPLICAS, `partition ${index} still has ${MIN_INSYNC_REPLICAS} in sync`);
  }

  await pollUntil('every acknowledged record to be consumed', READ_BACK_TIMEOUT_MS, () => {
    if (consumeError) throw consumeError;
    return acknowledged.every((value) => received.has(value)) ? true : undefined;
  });
  const missing = acknowledged.filter((value) => !received.has(value));
  assert.deepEqual(missing, [], 'no acknowledged record was lost');
  assert.equal(acknowledged.length, 2 * RECORDS_PER_PHASE);
  t.diagnostic(
    `consumer got all ${acknowledged.length} acknowledged records (${deliveries - received.size} redelivered)`,
  );

  const restartedAt = Date.now();
  await cluster.restart(victim.nodeId);
  const healed = await pollUntil('the ISR of every partition to be back to 3', ISR_RECOVERY_TIMEOUT_MS, async () => {
    const states = await partitions(admin);
    return fullyReplicated(states) ? states : undefined;
  });
  t.diagnostic(`node ${victim.nodeId} restarted and ISR back to ${CLUSTER_SIZE} in ${Date.now() - restartedAt} ms`);
  for (const state of healed) assert.deepEqual(state.isr, [1, 2, 3]);

  const stoppingAt = Date.now();
  await closeClients();
  await cluster.stop();
  t.diagnostic(`cluster stopped in ${Date.now() - stoppingAt} ms`);
  assert.ok(
    cluster.nodes.every((node) => !node.isRunning()),
    'every node is stopped',
  );
});
