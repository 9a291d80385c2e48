import type { TestContext } from 'node:test';

type Cleanup = () => unknown;

/**
 * Cleanups that run last-registered first, every one of them even when an earlier one throws.
 *
 * `t.after` hooks run in the order they were registered, and the first that throws skips the rest: a
 * temporary directory removed before the broker writing into it was stopped failed with ENOTEMPTY, the
 * broker's stop never ran, and its processes kept the test file alive until CI gave up on the whole run.
 * Registering the removal of a directory first and the stop of what uses it after makes the stop run first.
 */
export class Cleanups {
  readonly #cleanups: Cleanup[] = [];

  defer(cleanup: Cleanup): void {
    this.#cleanups.push(cleanup);
  }

  /** Runs and forgets every cleanup, newest first; throws the failures together once all have run. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (let cleanup = this.#cleanups.pop(); cleanup !== undefined; cleanup = this.#cleanups.pop()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
  }
}

/** A `defer` whose cleanups run, newest first, once the test `t` ends (one `t.after` for them all). */
export function deferCleanups(t: TestContext): (cleanup: Cleanup) => void {
  const cleanups = new Cleanups();
  t.after(() => cleanups.run());
  return (cleanup) => cleanups.defer(cleanup);
}
