import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CatalogTopic,
  desiredTopics,
  isApplicable,
  type LiveTopic,
  planTopics,
} from '../../../src/kafka/provisioning/topic-plan.ts';

const catalog: CatalogTopic[] = [
  {
    name: 'example-service.thing-happened',
    partitions: 6,
    replicationFactor: 3,
    minInsyncReplicas: 2,
    configs: { 'retention.ms': '604800000', 'min.insync.replicas': '2' },
  },
];

test('desiredTopics should cap replication and min ISR on a small cluster and say so', () => {
  const single = desiredTopics(catalog, 1);
  assert.equal(single.topics[0]?.replicationFactor, 1);
  assert.equal(single.topics[0]?.configs['min.insync.replicas'], '1');
  assert.equal(single.warnings.length, 1);
  assert.match(single.warnings[0] ?? '', /1 broker/);
  const three = desiredTopics(catalog, 3);
  assert.equal(three.topics[0]?.replicationFactor, 3);
  assert.equal(three.topics[0]?.configs['min.insync.replicas'], '2');
  assert.deepEqual(three.warnings, []);
});

test('planTopics should create what is missing and report nothing when the cluster matches', () => {
  const { topics } = desiredTopics(catalog, 3);
  assert.deepEqual(
    planTopics(topics, new Map()).actions.map((a) => a.kind),
    ['create'],
  );
  const live = new Map<string, LiveTopic>([
    [
      'example-service.thing-happened',
      {
        name: 'example-service.thing-happened',
        partitions: 6,
        replicationFactor: 3,
        configs: { ...topics[0]?.configs },
      },
    ],
  ]);
  assert.deepEqual(planTopics(topics, live).actions, []);
});

test('planTopics should show exactly a changed config and a partition increase', () => {
  const { topics } = desiredTopics(catalog, 3);
  const live = new Map<string, LiveTopic>([
    [
      'example-service.thing-happened',
      {
        name: 'example-service.thing-happened',
        partitions: 3,
        replicationFactor: 3,
        configs: { 'retention.ms': '1000', 'min.insync.replicas': '2' },
      },
    ],
  ]);
  const { actions } = planTopics(topics, live);
  assert.deepEqual(actions, [
    { kind: 'add-partitions', name: 'example-service.thing-happened', from: 3, to: 6 },
    {
      kind: 'alter-config',
      name: 'example-service.thing-happened',
      key: 'retention.ms',
      from: '1000',
      to: '604800000',
    },
  ]);
  assert.ok(actions.every(isApplicable));
});

test('planTopics should refuse a partition decrease and never plan a deletion', () => {
  const { topics } = desiredTopics(catalog, 3);
  const live = new Map<string, LiveTopic>([
    [
      'example-service.thing-happened',
      {
        name: 'example-service.thing-happened',
        partitions: 12,
        replicationFactor: 3,
        configs: { ...topics[0]?.configs },
      },
    ],
    ['unrelated.topic', { name: 'unrelated.topic', partitions: 1, replicationFactor: 1, configs: {} }],
  ]);
  const { actions } = planTopics(topics, live);
  assert.deepEqual(actions, [
    { kind: 'refuse-partition-decrease', name: 'example-service.thing-happened', live: 12, catalog: 6 },
  ]);
  assert.equal(isApplicable(actions[0] as never), false);
});
