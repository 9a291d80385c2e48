/**
 * The one error class of the system, and the one shape of an error-code catalogue.
 *
 * Every package owns a closed set of codes with its prefix (`ORD_`, `INV_`, `PAY_`, `NTF_`, `PLT_`, `HTTP_`,
 * `CTR_`, `DLT_`, `LAG_`): a `const` object of code → {@link ErrorSpec} named `<PACKAGE>_ERRORS` in the
 * package's `errors.ts`, next to the package's factory `<package>Error(code, message, options?)` made by
 * {@link errorFactory}. The consumer runner, the HTTP layer and the CLIs read `code` and `retryable`;
 * nothing matches message text. Codes end up in dead-letter headers and HTTP answers, so a code string or
 * its HTTP status is a public contract: docs/errors.md lists every one (generated, checked by a test).
 *
 * It lives in the contracts package because contracts raise these errors too and depend on nothing but
 * TypeBox; the platform re-exports it.
 */

/** What a catalogue says of one code. */
export interface ErrorSpec {
  /** What the code means and when it is raised (the "meaning" column of docs/errors.md). */
  readonly description: string;
  /** HTTP status when the error reaches HTTP. Absent: it never does, and the error carries 500. */
  readonly httpStatus?: number;
  /** Whether the same operation may succeed later without a code change. */
  readonly retryable: boolean;
}

/** A package's closed set of codes. */
export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/** What a call site may add to an error; status and retry flag come from the catalogue. */
export interface ErrorOptions {
  /** What the operator or caller can do about it; printed by CLIs and start-up checks. */
  hint?: string;
  /** Extra structured context for logs and dead-letter headers. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export interface AppErrorOptions extends ErrorOptions {
  /** HTTP status when the error reaches HTTP. Default: 500. */
  httpStatus?: number;
  /** Whether the same operation may succeed later without a code change. Default: false. */
  retryable?: boolean;
}

/** Every error that crosses a module boundary: a stable code, and whether retrying can help. */
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

/** The factory signature every package exports as `<package>Error`. */
export type ErrorFactory<Code extends string> = (code: Code, message: string, options?: ErrorOptions) => AppError<Code>;

/**
 * The constructor of a package's errors: status and retry flag come from the catalogue, never from the
 * call site, so a code behaves the same everywhere it is raised.
 */
export function errorFactory<Catalogue extends ErrorCatalogue>(
  catalogue: Catalogue,
): ErrorFactory<keyof Catalogue & string> {
  return (code, message, options = {}) => {
    const spec = catalogue[code] as ErrorSpec;
    return new AppError(code, message, {
      ...options,
      retryable: spec.retryable,
      ...(spec.httpStatus === undefined ? {} : { httpStatus: spec.httpStatus }),
    });
  };
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
