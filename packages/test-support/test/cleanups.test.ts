import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cleanups } from '../src/cleanups.ts';

test('cleanups should run newest first, each awaited before the next', async () => {
  const cleanups = new Cleanups();
  const ran: string[] = [];
  cleanups.defer(() => ran.push('remove the directory'));
  cleanups.defer(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    ran.push('stop the broker');
  });
  await cleanups.run();
  assert.deepEqual(ran, ['stop the broker', 'remove the directory']);
});

test('a failing cleanup should not skip the others, and its error should surface once all have run', async () => {
  const cleanups = new Cleanups();
  const ran: string[] = [];
  cleanups.defer(() => ran.push('first'));
  cleanups.defer(() => {
    throw new Error('ENOTEMPTY');
  });
  cleanups.defer(() => ran.push('last'));
  await assert.rejects(cleanups.run(), /ENOTEMPTY/);
  assert.deepEqual(ran, ['last', 'first']);
});

test('several failing cleanups should surface together, and a second run should find nothing left', async () => {
  const cleanups = new Cleanups();
  cleanups.defer(() => Promise.reject(new Error('one')));
  cleanups.defer(() => {
    throw new Error('two');
  });
  await assert.rejects(cleanups.run(), (error: unknown) => {
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(
      error.errors.map((each: Error) => each.message),
      ['two', 'one'],
    );
    return true;
  });
  await cleanups.run();
});
