import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Ids that tie a log line to the business flow (correlation) and to the message that caused it (causation). */
export interface LogContext {
  correlationId?: string;
  causationId?: string;
  eventId?: string;
  orderId?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with ids that every log line written inside it (across awaits) carries, without
 * threading a child logger through every call.
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  const merged = { ...logContext.getStore(), ...context };
  return logContext.run(merged, fn);
}

export interface LoggerOptions {
  /** Written as `service` on every line. */
  service: string;
  /** Default: 'info'. */
  level?: string;
  /** Where lines go. Default: stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => ({ ...logContext.getStore() }),
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    options.destination ?? process.stdout,
  );
}
