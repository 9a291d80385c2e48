import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka';
import { clientRetryDelay, KAFKA_CLIENT_MAX_RETRY_DELAY_MS } from '../../src/kafka/clients.ts';
import { hasStaleMetadata, kafkaErrorCounts } from '../../src/kafka/error-summary.ts';

test('kafkaErrorCounts should count the Kafka error names and leaf codes of a nested send failure', () => {
  const attempt = (...ids: string[]) =>
    new MultipleErrors(
      'Received response with error while executing API Produce(v11)',
      ids.map((id) => new ProtocolError(id)),
    );
  const failure = new MultipleErrors('Producing messages failed.', [
    new MultipleErrors('produce failed 3 times.', [
      attempt('NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS'),
      attempt('NOT_LEADER_OR_FOLLOWER'),
      new NetworkError('Connection closed'),
    ]),
  ]);
  assert.deepEqual(kafkaErrorCounts(failure), {
    NOT_LEADER_OR_FOLLOWER: 2,
    NOT_ENOUGH_REPLICAS: 1,
    PLT_KFK_NETWORK: 1,
  });
});

test('kafkaErrorCounts should name a plain error by its code and ignore what is not an error', () => {
  assert.deepEqual(kafkaErrorCounts(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), { ECONNREFUSED: 1 });
  assert.deepEqual(kafkaErrorCounts(new Error('no code')), {});
  assert.deepEqual(kafkaErrorCounts(undefined), {});
});

test('a retry after an answer that the leaders moved should first drop the cached metadata', () => {
  let cleared = 0;
  const client = { clearMetadata: () => cleared++ };
  const notLeader = new MultipleErrors('Received response with error while executing API Produce(v11)', [
    new ProtocolError('NOT_LEADER_OR_FOLLOWER'),
  ]);
  const delay = clientRetryDelay(client, 'produce', 3, 16, notLeader);
  assert.equal(cleared, 1, 'a stale-metadata answer clears the cache, so the next attempt asks the cluster');
  assert.ok(delay > 0 && delay <= KAFKA_CLIENT_MAX_RETRY_DELAY_MS);
  clientRetryDelay(client, 'produce', 3, 16, new ProtocolError('NOT_ENOUGH_REPLICAS'));
  clientRetryDelay(client, 'produce', 3, 16, new NetworkError('Connection closed'));
  clientRetryDelay(client, 'produce', 3, 16, undefined);
  assert.equal(cleared, 1, 'other failures keep the cache (a network error refreshes it on its own)');
  assert.equal(hasStaleMetadata(notLeader), true);
  assert.equal(hasStaleMetadata(new ProtocolError('NOT_ENOUGH_REPLICAS')), false);
});
