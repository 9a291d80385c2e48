/**
 * The statement batcher: calls arriving while a statement runs share the next one, each answered with its own
 * result once that statement has finished.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatementBatcher } from '../../src/db/statement-batcher.ts';

/** A statement that finishes when the test says so, recording the items of every call. */
function controlledStatement<I>() {
  const calls: I[][] = [];
  const finishers: Array<() => void> = [];
  return {
    calls,
    run: (items: readonly I[]) =>
      new Promise<readonly string[]>((resolve) => {
        calls.push([...items]);
        finishers.push(() => resolve(items.map((item) => `result of ${String(item)}`)));
      }),
    finishNext: () => finishers.shift()?.(),
  };
}

/** The end of the current turn: the batcher has sent what was submitted in it. */
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

test('an idle call should run alone and at once', async () => {
  const statement = controlledStatement<string>();
  const batcher = new StatementBatcher({ maxPerBatch: 10, maxInFlight: 1, run: statement.run });
  const answer = batcher.submit('a');
  await endOfTurn();
  assert.deepEqual(statement.calls, [['a']], 'sent without waiting for more calls');
  statement.finishNext();
  assert.equal(await answer, 'result of a');
});

test('calls arriving while statements run should share the next statement, each with its own result', async () => {
  const statement = controlledStatement<string>();
  const batcher = new StatementBatcher({ maxPerBatch: 3, maxInFlight: 1, run: statement.run });
  const first = batcher.submit('a');
  await endOfTurn();
  const later = ['b', 'c', 'd', 'e'].map((item) => batcher.submit(item));
  assert.equal(batcher.waiting, 4);
  statement.finishNext();
  assert.equal(await first, 'result of a');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(statement.calls[1], ['b', 'c', 'd'], 'at most maxPerBatch, oldest first');
  statement.finishNext();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(statement.calls[2], ['e']);
  statement.finishNext();
  assert.deepEqual(await Promise.all(later), ['result of b', 'result of c', 'result of d', 'result of e']);
  assert.equal(statement.calls.length, 3);
});

test('calls made in the same turn should share one statement, each answered with its own result', async () => {
  const statement = controlledStatement<string>();
  const batcher = new StatementBatcher({ maxPerBatch: 10, maxInFlight: 2, run: statement.run });
  const answers = ['a', 'b', 'c'].map((item) => batcher.submit(item));
  await endOfTurn();
  assert.deepEqual(statement.calls, [['a', 'b', 'c']], 'one statement, although two could run at once');
  statement.finishNext();
  assert.deepEqual(await Promise.all(answers), ['result of a', 'result of b', 'result of c']);
});

test('calls resumed together but reaching the batcher through promise chains of different lengths should share one statement', async () => {
  const statement = controlledStatement<string>();
  const batcher = new StatementBatcher({ maxPerBatch: 10, maxInFlight: 2, run: statement.run });
  const deeper = async (item: string, hops: number) => {
    for (let hop = 0; hop < hops; hop++) await Promise.resolve();
    return batcher.submit(item);
  };
  const answers = [deeper('a', 0), deeper('b', 3), deeper('c', 10)];
  await endOfTurn();
  assert.deepEqual(statement.calls, [['a', 'b', 'c']]);
  statement.finishNext();
  assert.deepEqual(await Promise.all(answers), ['result of a', 'result of b', 'result of c']);
});

test('calls with the same key should never share a statement', async () => {
  const statement = controlledStatement<string>();
  const batcher = new StatementBatcher({
    maxPerBatch: 10,
    maxInFlight: 1,
    run: statement.run,
    keyOf: (item) => item.split(':')[0] as string,
  });
  const answers = [batcher.submit('x:1')];
  await endOfTurn();
  answers.push(...['x:2', 'y:1', 'x:3'].map((item) => batcher.submit(item)));
  // x:1 went alone at once; the rest queue.
  statement.finishNext();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(statement.calls[1], ['x:2', 'y:1'], 'the second x waits for the next statement');
  statement.finishNext();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(statement.calls[2], ['x:3']);
  statement.finishNext();
  assert.equal((await Promise.all(answers)).length, 4);
});

test('a failed statement of several calls should fail only the call at fault when retried alone', async () => {
  let statements = 0;
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const batcher = new StatementBatcher<string, string>({
    maxPerBatch: 10,
    maxInFlight: 1,
    run: async (items) => {
      statements++;
      if (statements === 1) await gate;
      if (items.includes('bad')) throw new Error('constraint violated');
      return items.map((item) => item.toUpperCase());
    },
    retryAlone: (error) => (error as Error).message === 'constraint violated',
  });
  const first = batcher.submit('first');
  const answers = ['a', 'bad', 'b'].map((item) => batcher.submit(item).catch((error: Error) => error.message));
  release?.();
  assert.equal(await first, 'FIRST');
  assert.deepEqual(await Promise.all(answers), ['A', 'constraint violated', 'B']);
});

test('a failure that is not about a call should fail every call of the statement', async () => {
  const batcher = new StatementBatcher<string, string>({
    maxPerBatch: 10,
    maxInFlight: 1,
    run: async () => {
      throw new Error('connection refused');
    },
    retryAlone: () => false,
  });
  const answers = await Promise.allSettled(['a', 'b'].map((item) => batcher.submit(item)));
  assert.deepEqual(
    answers.map((answer) => answer.status),
    ['rejected', 'rejected'],
  );
});

test('a statement answering the wrong number of results should fail its calls, not mix their results', async () => {
  const batcher = new StatementBatcher<string, string>({
    maxPerBatch: 10,
    maxInFlight: 1,
    run: async () => ['only one'],
  });
  const first = batcher.submit('a');
  await endOfTurn();
  const answers = Promise.allSettled(['b', 'c'].map((item) => batcher.submit(item)));
  assert.equal(await first, 'only one');
  const settled = await answers;
  assert.ok(settled.every((answer) => answer.status === 'rejected'));
  assert.match(String((settled[0] as PromiseRejectedResult).reason.code), /PLT_UNEXPECTED/);
});
