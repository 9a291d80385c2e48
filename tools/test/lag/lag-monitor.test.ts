import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdmin, createProducer } from '@shop/platform';
import { createTestTopics, testKafkaConnection, uniqueName } from '@shop/test-support';
import { LagMonitor, serveMetrics } from '../../src/lag/lag-monitor.ts';

const PRODUCED = 5;
const COMMITTED = 2n;
const PAST_MS = 5 * 60_000;
/** Short, so the test sees STOP after a short sleep; the second poll follows the first well within it. */
const STOP_AFTER_MS = 1_500;

/** The value of the sample of `metric` whose labels include every `labels` pair, from a /metrics text. */
function sampleValue(text: string, metric: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

test('lag monitor should serve lag, time lag, then WARN and STOP for a group whose consumer is gone while it lags', async (t) => {
  const [topic] = await createTestTopics(t, ['lag-monitor'], { partitions: 1 });
  if (topic === undefined) throw new Error('no topic');
  const connection = await testKafkaConnection();
  const group = uniqueName('test.lag-monitor');
  const producer = createProducer(connection);
  const base = Date.now() - PAST_MS;
  await producer.send({
    messages: Array.from({ length: PRODUCED }, (_, i) => ({
      topic,
      key: 'k',
      value: Buffer.from(`r${i}`),
      timestamp: BigInt(base + i),
    })),
  });
  await producer.close();
  const admin = createAdmin(connection);
  await admin.alterConsumerGroupOffsets({
    groupId: group,
    topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: COMMITTED }] }],
  });
  t.after(async () => {
    await admin.deleteGroups({ groups: [group] }).catch(() => {});
    await admin.close();
  });

  const monitor = new LagMonitor({
    connection,
    groups: [{ group, topics: [topic] }],
    status: { windowSamples: 2, minSamples: 2, stopAfterMs: STOP_AFTER_MS },
  });
  const { url, server } = await serveMetrics(monitor.registry, 0, '127.0.0.1');
  t.after(async () => {
    server.close();
    await monitor.stop();
  });
  const labels = { group, topic, partition: '0' };

  await monitor.poll();
  let text = await (await fetch(`${url}/metrics`)).text();
  assert.equal(sampleValue(text, 'kafka_consumergroup_lag', labels), Number(BigInt(PRODUCED) - COMMITTED));
  assert.equal(sampleValue(text, 'kafka_consumergroup_committed_offset', labels), Number(COMMITTED));
  assert.equal(sampleValue(text, 'kafka_consumergroup_log_end_offset', labels), PRODUCED);
  const lagSeconds = sampleValue(text, 'kafka_consumergroup_lag_seconds', labels) ?? 0;
  // The first unconsumed record was stamped PAST_MS + COMMITTED ms ago, give or take this test's runtime.
  assert.ok(lagSeconds >= (PAST_MS - Number(COMMITTED)) / 1000 && lagSeconds < PAST_MS / 1000 + 30, `${lagSeconds}`);
  assert.equal(sampleValue(text, 'kafka_consumergroup_members', { group }), 0);
  // Nobody consumes while records wait: WARN from the first sample (no history needed to see that), while
  // the stop delay has not passed since the offset was first seen, then STOP.
  assert.equal(sampleValue(text, 'kafka_consumergroup_status', { group, status: 'WARN' }), 1);
  await monitor.poll();
  text = await (await fetch(`${url}/metrics`)).text();
  assert.equal(sampleValue(text, 'kafka_consumergroup_status', { group, status: 'WARN' }), 1);
  await new Promise((resolve) => setTimeout(resolve, STOP_AFTER_MS));
  await monitor.poll();
  text = await (await fetch(`${url}/metrics`)).text();
  assert.equal(sampleValue(text, 'kafka_consumergroup_status', { group, status: 'STOP' }), 1);
  assert.equal(sampleValue(text, 'kafka_consumergroup_status', { group, status: 'OK' }), 0);
  assert.equal((await fetch(`${url}/other`)).status, 404);
});
