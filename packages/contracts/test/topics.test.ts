import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONSUMERS, RETRY_DELAYS_MS, RETRY_TIERS } from '../src/consumers.ts';
import { EVENT_TYPES, findLatestDefinition } from '../src/events/registry.ts';
import {
  BROKER_COUNT,
  DEAD_LETTER_PARTITIONS,
  MAX_PARTITIONS_PER_TOPIC,
  requiredPartitions,
} from '../src/partitioning.ts';
import { SERVICES } from '../src/services.ts';
import {
  allTopics,
  businessTopics,
  CONSUMER_GROUPS,
  consumerGroupIds,
  DEAD_LETTER_RETENTION_MS,
  deadLetterTopicOf,
  EVENT_RETENTION_MS,
  findTopicByName,
  kafkaTopicConfig,
  MIN_INSYNC_REPLICAS,
  REPLICATION_FACTOR,
  RETRY_RETENTION_MS,
  retryTopicsOf,
  TOPICS,
  type TopicId,
  topic,
  topicName,
  topicsCarrying,
} from '../src/topics.ts';

const KEBAB_SEGMENT = '[a-z0-9]+(?:-[a-z0-9]+)*';
/** Kafka's limit on topic name length. */
const KAFKA_MAX_TOPIC_NAME_LENGTH = 249;
const HOUR_MS = 60 * 60 * 1000;
/** The Notification Service outage the design plans for: retention must outlast it many times over. */
const NOTIFICATION_OUTAGE_MS = 2 * HOUR_MS;
/** A long weekend: the outage retention must cover without anyone on call noticing. */
const UNNOTICED_OUTAGE_MS = 3 * 24 * HOUR_MS;

describe('topic naming', () => {
  test('every topic name should be <owner-service>.<kebab-case segments> with its owner as prefix', () => {
    for (const definition of TOPICS) {
      const pattern = new RegExp(`^${definition.owner}(\\.${KEBAB_SEGMENT})+$`);
      assert.match(definition.name, pattern, `${definition.name} breaks the naming rule`);
      assert.ok((SERVICES as readonly string[]).includes(definition.owner));
    }
  });

  test('business topics should have exactly two segments: the owner and the event name', () => {
    for (const definition of businessTopics()) {
      assert.match(definition.name, new RegExp(`^${definition.owner}\\.${KEBAB_SEGMENT}$`));
    }
  });

  test('retry and dead-letter topics should extend the failing consumer group id and belong to its service', () => {
    for (const reader of CONSUMERS) {
      for (const [index, tier] of retryTopicsOf(reader.id).entries()) {
        assert.equal(tier.name, `${reader.groupId}.retry-${index + 1}`);
        assert.equal(tier.owner, reader.service);
      }
      const deadLetter = deadLetterTopicOf(reader.id);
      assert.equal(deadLetter.name, `${reader.groupId}.dlt`);
      assert.equal(deadLetter.owner, reader.service);
    }
  });

  test('topic names should be unique, within Kafka limits, and not collide in metric names', () => {
    const names = TOPICS.map((definition) => definition.name);
    assert.equal(new Set(names).size, names.length);
    // Kafka warns that '.' and '_' collide in metric names; we use neither underscores nor duplicates after mapping.
    assert.equal(new Set(names.map((name) => name.replaceAll('.', '_'))).size, names.length);
    for (const name of names) {
      assert.ok(name.length <= KAFKA_MAX_TOPIC_NAME_LENGTH, `${name} is too long`);
      assert.match(name, /^[a-z0-9.-]+$/);
    }
  });

  test('logical ids should be unique and resolve to their topic', () => {
    const ids = TOPICS.map((definition) => definition.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const definition of TOPICS) {
      assert.equal(topic(definition.id), definition);
      assert.equal(topicName(definition.id), definition.name);
      assert.equal(findTopicByName(definition.name), definition);
    }
    assert.equal(findTopicByName('no-such-service.no-such-topic'), undefined);
    assert.throws(() => topic('noSuchTopic' as TopicId), /no topic noSuchTopic/);
    assert.equal(allTopics(), TOPICS);
  });
});

describe('failure paths', () => {
  test('every consumed topic should have, for each consumer group, retry tiers ending in a dead-letter topic', () => {
    for (const source of TOPICS.filter((definition) => definition.consumers.length > 0)) {
      for (const reader of source.consumers) {
        const tiers = retryTopicsOf(reader.consumerId);
        const deadLetter = deadLetterTopicOf(reader.consumerId);
        assert.equal(deadLetter.kind, 'dead-letter', `${source.name} / ${reader.groupId} has no dead-letter topic`);
        if (source.kind === 'retry') {
          // A retry tier's own failure path is the next tier, then the dead-letter topic.
          assert.ok(source.failurePath?.next !== undefined, `${source.name} has no next stage`);
          continue;
        }
        assert.equal(
          tiers.length,
          RETRY_TIERS.length,
          `${reader.groupId} should have ${RETRY_TIERS.length} retry tiers`,
        );
      }
    }
  });

  test('following next from the first retry tier should visit every tier in order and end at the dead-letter topic', () => {
    for (const reader of CONSUMERS) {
      const visited: string[] = [];
      let current = retryTopicsOf(reader.id)[0];
      while (current !== undefined && current.kind === 'retry') {
        visited.push(current.name);
        assert.ok(visited.length <= RETRY_TIERS.length, 'the retry chain loops');
        current = current.failurePath?.next === undefined ? undefined : topic(current.failurePath.next);
      }
      assert.deepEqual(
        visited,
        retryTopicsOf(reader.id).map((tier) => tier.name),
      );
      assert.equal(current, deadLetterTopicOf(reader.id));
    }
  });

  test('retry delays should grow from tier to tier', () => {
    for (const reader of CONSUMERS) {
      const delays = retryTopicsOf(reader.id).map((tier) => tier.failurePath?.delayMs ?? 0);
      assert.deepEqual(delays, [...RETRY_DELAYS_MS]);
      for (let index = 1; index < delays.length; index += 1) {
        assert.ok((delays[index] ?? 0) > (delays[index - 1] ?? 0));
      }
    }
  });

  test("a consumer's retry tiers should be drained by one retry group of the consuming service, and dead letters by none", () => {
    for (const reader of CONSUMERS) {
      for (const tier of retryTopicsOf(reader.id)) {
        assert.deepEqual(tier.consumers, [
          { groupId: `${reader.groupId}.retry`, service: reader.service, consumerId: reader.id },
        ]);
      }
      assert.deepEqual(deadLetterTopicOf(reader.id).consumers, []);
    }
  });

  test('failure-path topics should carry exactly the events their consumer reads', () => {
    for (const reader of CONSUMERS) {
      const expected = reader.sources.flatMap((id) => topic(id).events);
      for (const definition of [...retryTopicsOf(reader.id), deadLetterTopicOf(reader.id)]) {
        assert.deepEqual(definition.events, expected);
      }
    }
  });
});

describe('consumer groups', () => {
  test('consumer group ids should be unique and cover every group that reads a topic', () => {
    const ids = consumerGroupIds();
    assert.equal(new Set(ids).size, ids.length);
    const reading = new Set(TOPICS.flatMap((definition) => definition.consumers.map((reader) => reader.groupId)));
    assert.deepEqual(new Set(ids), reading);
    for (const group of CONSUMER_GROUPS) {
      for (const id of group.topics) {
        assert.ok(topic(id).consumers.some((reader) => reader.groupId === group.groupId));
      }
    }
  });

  test('every business topic should have at least one consumer group', () => {
    for (const definition of businessTopics()) {
      assert.ok(definition.consumers.length > 0, `${definition.name} is read by nobody`);
    }
  });
});

describe('durability and retention', () => {
  test('every topic should have replication factor 3 and min.insync.replicas 2', () => {
    for (const definition of TOPICS) {
      assert.equal(definition.replicationFactor, REPLICATION_FACTOR);
      assert.equal(definition.minInsyncReplicas, MIN_INSYNC_REPLICAS);
    }
    assert.equal(REPLICATION_FACTOR, 3);
    assert.equal(MIN_INSYNC_REPLICAS, 2);
    // With acks=all, min ISR below RF keeps writes available through one broker loss.
    assert.ok(MIN_INSYNC_REPLICAS < REPLICATION_FACTOR);
  });

  test('business retention should outlast a notification outage and an unnoticed long weekend', () => {
    for (const definition of businessTopics()) {
      assert.ok(definition.retentionMs >= UNNOTICED_OUTAGE_MS);
      assert.ok(definition.retentionMs >= 10 * NOTIFICATION_OUTAGE_MS);
    }
  });

  test('retry tiers should keep records at least as long as their sources, and dead letters longer still', () => {
    assert.ok(RETRY_RETENTION_MS >= EVENT_RETENTION_MS);
    assert.ok(DEAD_LETTER_RETENTION_MS >= EVENT_RETENTION_MS);
    const longestDelay = Math.max(...RETRY_DELAYS_MS);
    for (const definition of TOPICS.filter((candidate) => candidate.kind === 'retry')) {
      assert.ok(definition.retentionMs >= EVENT_RETENTION_MS);
      assert.ok(definition.retentionMs > 1000 * longestDelay);
    }
  });

  test('every topic should use the delete cleanup policy and pin unclean leader election off', () => {
    for (const definition of TOPICS) {
      assert.deepEqual(kafkaTopicConfig(definition), {
        'cleanup.policy': 'delete',
        'retention.ms': String(definition.retentionMs),
        'min.insync.replicas': '2',
        'unclean.leader.election.enable': 'false',
      });
    }
  });
});

describe('partitions', () => {
  test('every sized topic should have at least the partitions the throughput model requires', () => {
    for (const definition of TOPICS.filter((candidate) => candidate.sizedFor !== undefined)) {
      const { recordsPerOrder, share } = definition.sizedFor ?? { recordsPerOrder: 0, share: 0 };
      const required = requiredPartitions(recordsPerOrder, share);
      assert.ok(
        definition.partitions >= required,
        `${definition.name} has ${definition.partitions} partitions; the model requires ${required}`,
      );
    }
  });

  test('partition counts should stay moderate and spread evenly over the brokers', () => {
    for (const definition of TOPICS) {
      assert.ok(definition.partitions >= 1 && definition.partitions <= MAX_PARTITIONS_PER_TOPIC, definition.name);
      if (definition.kind === 'dead-letter') assert.equal(definition.partitions, DEAD_LETTER_PARTITIONS);
      else
        assert.equal(
          definition.partitions % BROKER_COUNT,
          0,
          `${definition.name} is not a multiple of ${BROKER_COUNT}`,
        );
    }
  });

  test('every rationale should state the partition calculation', () => {
    for (const definition of TOPICS.filter((candidate) => candidate.sizedFor !== undefined)) {
      assert.match(
        definition.rationale,
        /orders\/s .* headroom .* per partition \(assumed, to be measured with the load tool\)/,
      );
    }
  });
});

describe('events on topics', () => {
  test('every event type should be carried by exactly one business topic', () => {
    for (const type of EVENT_TYPES) {
      const carriers = topicsCarrying(type).filter(
        (definition) => definition.kind === 'event' || definition.kind === 'command',
      );
      assert.equal(carriers.length, 1, `${type} is on ${carriers.length} business topics`);
    }
  });

  test('commands should travel on command topics and facts on event topics', () => {
    for (const definition of businessTopics()) {
      for (const type of definition.events) {
        assert.equal(findLatestDefinition(type)?.kind, definition.kind, `${type} on ${definition.name}`);
      }
    }
  });

  test("every event on a topic should use the topic's partition key", () => {
    for (const definition of TOPICS) {
      for (const type of definition.events) {
        assert.equal(findLatestDefinition(type)?.key, definition.partitionKey);
      }
    }
  });
});
