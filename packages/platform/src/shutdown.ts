import type { Logger } from './logger.ts';

/** Upper bound for all closers together; past it the process exits non-zero rather than hang a deploy. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

export type Closer = () => Promise<void> | void;

export interface Shutdown {
  /**
   * Registers a closer. Closers run in reverse registration order, so what was started last
   * (the HTTP server, then consumers) stops first and the pools they use close last.
   */
  register(name: string, closer: Closer): void;
  /** Runs every closer once; later calls return the same promise. */
  run(reason: string): Promise<void>;
  /** Calls `run` on SIGINT/SIGTERM and exits with 0 (or 1 when a closer failed or timed out). */
  installSignalHandlers(): void;
}

export interface ShutdownOptions {
  logger: Logger;
  /** Default: DEFAULT_SHUTDOWN_TIMEOUT_MS. */
  timeoutMs?: number;
}

export function createShutdown(options: ShutdownOptions): Shutdown {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const closers: Array<{ name: string; closer: Closer }> = [];
  let running: Promise<void> | undefined;
  let failed = false;

  async function closeAll(reason: string): Promise<void> {
    logger.info({ reason }, 'shutting down');
    for (const { name, closer } of [...closers].reverse()) {
      try {
        await closer();
        logger.debug({ closer: name }, 'closed');
      } catch (error) {
        failed = true;
        logger.error({ err: error, closer: name }, 'closer failed; continuing with the others');
      }
    }
    logger.info('shutdown complete');
  }

  const shutdown: Shutdown = {
    register(name, closer) {
      closers.push({ name, closer });
    },
    run(reason) {
      running ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          failed = true;
          logger.error({ timeoutMs }, 'shutdown timed out');
          resolve();
        }, timeoutMs);
        timer.unref();
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        closeAll(reason).then(done, done);
      });
      return running;
    },
    installSignalHandlers() {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          shutdown.run(signal).then(
            () => process.exit(failed ? 1 : 0),
            () => process.exit(1),
          );
        });
      }
    },
  };
  return shutdown;
}
