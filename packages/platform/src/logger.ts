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

/**
 * Where contact data (an order's e-mail address and phone number, a notification's recipient) can appear in
 * a log line: as the object itself, as a field of the logged object, or one or two levels down (a request
 * body, an event payload, an error's details). Logged as `[redacted]`.
 */
export const REDACTED_LOG_PATHS: readonly string[] = ['contact', 'email', 'phone', 'recipient'].flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.*.*.${field}`,
]);

/** An e-mail address anywhere in a line (a message, an error text) that no path names. */
const EMAIL_IN_TEXT = /[^\s"'<>@,;:()[\]]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
/** A phone number in E.164 form (+ and 6 to 15 digits: shorter ones are not phone numbers in practice). */
const PHONE_IN_TEXT = /\+[1-9]\d{5,14}\b/g;

/** Masks contact data that reached a line's text: the net under `REDACTED_LOG_PATHS`. */
export function scrubContactData(line: string): string {
  return line.replace(EMAIL_IN_TEXT, '[email]').replace(PHONE_IN_TEXT, '[phone]');
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
      hooks: { streamWrite: scrubContactData },
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
