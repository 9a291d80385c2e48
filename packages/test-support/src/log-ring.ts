import { Writable } from 'node:stream';

/** Lines a test service keeps of its own log when no other destination was chosen. */
export const LOG_RING_LINES = 400;

/**
 * A log destination that keeps the last lines written to it. A test service logs here by default, quietly,
 * so that a test waiting in vain can put what the service did meanwhile into its failure message: a
 * failure seen once in a run of the whole suite is then explained by the run's own output.
 */
export class LogRing extends Writable {
  readonly #capacity: number;
  #lines: string[] = [];
  #partial = '';

  constructor(capacity = LOG_RING_LINES) {
    super();
    this.#capacity = capacity;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const parts = (this.#partial + chunk.toString()).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) if (line !== '') this.#lines.push(line);
    if (this.#lines.length > this.#capacity * 2) this.#lines = this.#lines.slice(-this.#capacity);
    callback();
  }

  /** The last `count` lines, oldest first. */
  tail(count = 60): string[] {
    return this.#lines.slice(-Math.min(count, this.#capacity));
  }
}
