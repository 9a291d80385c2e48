import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failuresOf } from '../../src/consume/ports.ts';
import { createConsumer } from '../../src/kafka/clients.ts';

test("a consumer's own 'error' event should end its stream, not the process", async () => {
  // A real client, never connected: the event is what it emits when a rejoin of its group fails for good.
  const consumer = createConsumer({ bootstrapServers: ['127.0.0.1:1'], clientId: 'ports-test' }, 'ports-test');
  try {
    const failed = failuresOf(consumer);
    const rejoin = new Error('joinGroup failed 17 times.');
    // Without a listener, EventEmitter throws here: the way a Payment Service instance exited in a chaos run.
    assert.doesNotThrow(() => consumer.emit('error', rejoin));
    assert.equal(await failed, rejoin);
    assert.doesNotThrow(() => consumer.emit('error', new Error('a second one')), 'later errors are absorbed too');
  } finally {
    await consumer.close(true).catch(() => {});
  }
});
