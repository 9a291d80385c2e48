/**
 * Every error that crosses a module boundary carries a stable code and says whether retrying can help.
 * The consumer runner, the HTTP layer and the CLIs read `code` and `retryable`; nothing matches message text.
 */
export interface AppErrorOptions {
  /** HTTP status when the error reaches HTTP. Default: 500. */
  httpStatus?: number;
  /** Whether the same operation may succeed later without a code change. Default: false. */
  retryable?: boolean;
  /** What the operator or caller can do about it; printed by CLIs and start-up checks. */
  hint?: string;
  /** Extra structured context for logs and dead-letter headers. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = options.httpStatus ?? 500;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** The closed set of platform error codes, with their fixed behaviour. */
export const PlatformErrors = {
  PLT_CONFIG_INVALID: { retryable: false, httpStatus: 500 },
  PLT_POSTGRES_UNREACHABLE: { retryable: true, httpStatus: 503 },
  PLT_KAFKA_UNREACHABLE: { retryable: true, httpStatus: 503 },
  PLT_MIGRATION_FAILED: { retryable: false, httpStatus: 500 },
  PLT_MIGRATION_CHECKSUM_MISMATCH: { retryable: false, httpStatus: 500 },
  PLT_WRONG_RUNTIME: { retryable: false, httpStatus: 500 },
  PLT_SHUTDOWN_TIMEOUT: { retryable: false, httpStatus: 500 },
  PLT_INFRASTRUCTURE: { retryable: true, httpStatus: 503 },
  PLT_UNEXPECTED: { retryable: false, httpStatus: 500 },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number }>;

export type PlatformErrorCode = keyof typeof PlatformErrors;

/** The fixed behaviour of every code in a closed set of error codes. */
export type ErrorTable = Record<string, { readonly retryable: boolean; readonly httpStatus: number }>;

export type ErrorFactory<Code extends string> = (
  code: Code,
  message: string,
  options?: Omit<AppErrorOptions, 'retryable' | 'httpStatus'>,
) => AppError<Code>;

/**
 * The constructor of a package's errors: status and retry flag come from the table, never from the call
 * site, so a code behaves the same everywhere it is raised.
 */
export function errorFactory<Table extends ErrorTable>(table: Table): ErrorFactory<keyof Table & string> {
  return (code, message, options = {}) => new AppError(code, message, { ...table[code], ...options });
}

export const platformError: ErrorFactory<PlatformErrorCode> = errorFactory(PlatformErrors);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Node socket errors that mean "the other side is not there (yet)". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const KAFKA_CLIENT_ERROR_PREFIX = 'PLT_KFK_';
const KAFKA_AVAILABILITY_ERROR_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/**
 * PostgreSQL SQLSTATE classes that are about the server's availability rather than the statement:
 * 08 connection exception, 53 insufficient resources, 57P01-57P03 admin shutdown / cannot connect now,
 * 40001/40P01 serialization failure and deadlock (the transaction may succeed when run again).
 */
function isRetryablePgState(state: string): boolean {
  return (
    state.startsWith('08') ||
    state.startsWith('53') ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03' ||
    state === '40001' ||
    state === '40P01'
  );
}

/**
 * The one place where foreign errors (pg, node:net, @platformatic/kafka) are turned into AppErrors.
 * Classification uses codes and types, never message text.
 */
export function classifyError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const candidate = error as { code?: unknown; canRetry?: unknown; errors?: unknown } | null;
  const code = typeof candidate?.code === 'string' ? candidate.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) {
    return platformError('PLT_INFRASTRUCTURE', message, { cause: error, details: { foreignCode: code } });
  }
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    // A five-character SQLSTATE from pg.
    return new AppError(isRetryablePgState(code) ? 'PLT_INFRASTRUCTURE' : 'PLT_UNEXPECTED', message, {
      retryable: isRetryablePgState(code),
      httpStatus: isRetryablePgState(code) ? 503 : 500,
      cause: error,
      details: { sqlState: code },
    });
  }
  if (code?.startsWith(KAFKA_CLIENT_ERROR_PREFIX)) {
    // @platformatic/kafka errors carry their own retry flag; network and timeout errors are always about availability.
    const retryable = candidate?.canRetry === true || KAFKA_AVAILABILITY_ERROR_CODES.has(code);
    return new AppError(retryable ? 'PLT_INFRASTRUCTURE' : 'PLT_UNEXPECTED', message, {
      retryable,
      httpStatus: retryable ? 503 : 500,
      cause: error,
      details: { foreignCode: code },
    });
  }
  if (Array.isArray(candidate?.errors) && candidate.errors.length > 0) {
    // AggregateError from a multi-address connect: classify by its first inner error.
    const inner = classifyError(candidate.errors[0]);
    return new AppError(inner.code, message, {
      retryable: inner.retryable,
      httpStatus: inner.httpStatus,
      cause: error,
    });
  }
  return platformError('PLT_UNEXPECTED', message, { cause: error });
}
