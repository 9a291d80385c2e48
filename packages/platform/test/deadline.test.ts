import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDeadline } from '../src/deadline.ts';

test('a call that answers in time should resolve with its result', async () => {
  const result = await withDeadline(async () => 'done', { timeoutMs: 1_000, onTimeout: () => new Error('late') });
  assert.equal(result, 'done');
});

test('a call past its deadline should reject with the timeout error and see its signal aborted with it', async () => {
  const timeout = new Error('late');
  let seen: AbortSignal | undefined;
  let lateFailure: Promise<never> | undefined;
  await assert.rejects(
    withDeadline(
      (signal) => {
        seen = signal;
        lateFailure = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        return lateFailure;
      },
      { timeoutMs: 20, onTimeout: () => timeout },
    ),
    (error) => error === timeout,
  );
  assert.equal(seen?.aborted, true);
  assert.equal(seen?.reason, timeout);
  // The call's own failure after the deadline was observed by withDeadline (no unhandled rejection).
  await assert.rejects(lateFailure as Promise<never>);
});
