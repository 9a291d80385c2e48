/**
 * The platform's error codes (`PLT_`, and the HTTP layer's `HTTP_`), and the one function that turns
 * foreign errors into AppErrors. The error class and the catalogue format are the contracts package's
 * (re-exported here): every package's `errors.ts` exports `<PACKAGE>_ERRORS` and `<package>Error(code,
 * message, options?)`; docs/errors.md lists every code.
 */
import { AppError, type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/contracts/app-error';

export {
  AppError,
  type AppErrorOptions,
  type ErrorCatalogue,
  type ErrorFactory,
  type ErrorOptions,
  type ErrorSpec,
  errorFactory,
  isAppError,
} from '@shop/contracts/app-error';

/** The closed set of platform error codes, with their fixed behaviour. */
export const PLATFORM_ERRORS = {
  PLT_CONFIG_INVALID: {
    httpStatus: 500,
    retryable: false,
    description: 'An environment variable is missing or invalid; the process stops at start with every problem named.',
  },
  PLT_POSTGRES_UNREACHABLE: {
    httpStatus: 503,
    retryable: true,
    description:
      'PostgreSQL does not answer or refuses connections (start-up check, or no connection from the pool); retried in place.',
  },
  PLT_KAFKA_UNREACHABLE: {
    httpStatus: 503,
    retryable: true,
    description: 'No Kafka broker answers a metadata request (start-up check); retried in place.',
  },
  PLT_MIGRATION_FAILED: {
    httpStatus: 500,
    retryable: false,
    description: 'A database migration failed; the service does not start.',
  },
  PLT_MIGRATION_CHECKSUM_MISMATCH: {
    httpStatus: 500,
    retryable: false,
    description: 'An applied migration file was changed afterwards; add a new migration instead.',
  },
  PLT_WRONG_RUNTIME: {
    httpStatus: 500,
    retryable: false,
    description: 'The process runs on another Node.js major than the project requires.',
  },
  PLT_SHUTDOWN_TIMEOUT: {
    httpStatus: 500,
    retryable: false,
    description: 'Graceful shutdown did not finish within its timeout.',
  },
  PLT_INFRASTRUCTURE: {
    httpStatus: 503,
    retryable: true,
    description:
      "The service's own database or Kafka is unavailable (a connection error, an availability SQLSTATE, a Kafka network error): a consumer pauses and retries in place, never dead-letters; an HTTP route answers 503.",
  },
  PLT_UNAUTHENTICATED: {
    httpStatus: 401,
    retryable: false,
    description:
      'The route needs a bearer token and none was sent, or it is not valid (signature, issuer, audience, expiry); answered with `WWW-Authenticate: Bearer`.',
  },
  PLT_FORBIDDEN: {
    httpStatus: 403,
    retryable: false,
    description:
      "The token is valid but carries none of the roles the route needs (a customer changing stock, say). Another customer's order is 404, not 403.",
  },
  PLT_UNEXPECTED: {
    httpStatus: 500,
    retryable: false,
    description:
      'An error nothing classified (a bug, or a statement that can never pass): HTTP answers 500 "Internal error", a consumer dead-letters the record.',
  },
} as const satisfies Record<`PLT_${string}`, ErrorSpec>;

export type PlatformErrorCode = keyof typeof PLATFORM_ERRORS;

export const platformError: ErrorFactory<PlatformErrorCode> = errorFactory(PLATFORM_ERRORS);

/**
 * The HTTP layer's own codes (createHttpApp's error and not-found handlers). Fastify's body errors keep
 * their `FST_ERR_*` codes (Fastify's, not listed here).
 */
export const HTTP_ERRORS = {
  HTTP_VALIDATION_FAILED: {
    httpStatus: 400,
    retryable: false,
    description:
      'A body, header, path parameter or query string fails its schema (unknown fields are refused); `details` names the offending fields.',
  },
  HTTP_BAD_REQUEST: {
    httpStatus: 400,
    retryable: false,
    description: 'A client error from Fastify that carries no code of its own.',
  },
  HTTP_HEADERS_TOO_LARGE: {
    httpStatus: 431,
    retryable: false,
    description: "The request's headers exceed the server's limit; answered by the HTTP parser, before any route runs.",
  },
  HTTP_NOT_FOUND: {
    httpStatus: 404,
    retryable: false,
    description: 'No route for this method and path.',
  },
} as const satisfies Record<`HTTP_${string}`, ErrorSpec>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export const httpError: ErrorFactory<HttpErrorCode> = errorFactory(HTTP_ERRORS);

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
