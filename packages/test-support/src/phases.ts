/**
 * A test's phases with their durations, and a deadline that fails the test naming the phase it was stuck in.
 * The runner's own timeout says only "timed out after N ms"; on a loaded CI machine a long end-to-end test
 * can overrun in any of its phases (the stack starting, a group joining, a condition never met, a request
 * never answered), and the failure should say which, with how long each earlier phase took.
 */
export class Phases {
  readonly #started = performance.now();
  readonly #done: string[] = [];
  #current = 'start';
  #currentSince = this.#started;

  /** Ends the current phase and begins `name`. */
  enter(name: string): void {
    this.#done.push(`${this.#current} ${seconds(performance.now() - this.#currentSince)}`);
    this.#current = name;
    this.#currentSince = performance.now();
  }

  /** One line: every finished phase with its duration, then the current one and how long it has run. */
  describe(): string {
    const now = performance.now();
    return [...this.#done, `${this.#current} (running, ${seconds(now - this.#currentSince)})`].join(', ');
  }

  /**
   * Runs `body`; if it has not settled within `ms`, rejects with the phases so far. The body is not
   * cancelled (nothing can cancel a promise): the test's after-hooks stop what it started.
   */
  async within<T>(ms: number, body: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done within ${seconds(ms)}: ${this.describe()}`)), ms);
    });
    try {
      return await Promise.race([body(), overrun]);
    } catch (error) {
      // An assertion failing in a later phase says where it failed too.
      if (error instanceof Error && !error.message.includes(' (running, '))
        error.message += ` [phases: ${this.describe()}]`;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}
