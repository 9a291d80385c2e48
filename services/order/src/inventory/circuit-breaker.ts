/**
 * A consecutive-failure circuit breaker: after `failureThreshold` failed calls in a row the circuit opens
 * and every call is refused at once for `openMs` (no connection, no timeout waited for); then one trial call
 * is let through (half-open): its success closes the circuit, its failure opens it again for another
 * `openMs`. While the trial runs, other calls are refused.
 */
export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly openMs: number;
  /** Default: Date.now. */
  readonly now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;
  #failures = 0;
  #openUntil = 0;
  #trialRunning = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.#failures < this.#options.failureThreshold) return 'closed';
    return this.#now() < this.#openUntil ? 'open' : 'half-open';
  }

  /** Whether a call may start now; a true answer in half-open takes the one trial. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialRunning) return false;
    this.#trialRunning = true;
    return true;
  }

  /** Whether a call would be let through now (without taking the trial). */
  get allowsCalls(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half-open' && !this.#trialRunning);
  }

  succeeded(): void {
    this.#failures = 0;
    this.#trialRunning = false;
  }

  failed(): void {
    this.#trialRunning = false;
    this.#failures++;
    if (this.#failures >= this.#options.failureThreshold) this.#openUntil = this.#now() + this.#options.openMs;
  }
}
