import { type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

/**
 * The closed set of error codes of the operator console. A service's own refusal reaches the browser with the
 * service's code (ORD_, INV_, HTTP_...); these are what the console itself says.
 */
export const CONSOLE_ERRORS = {
  CON_INVALID_INPUT: {
    httpStatus: 400,
    retryable: false,
    description: 'A console API parameter does not parse (an order or customer id that is no UUID, a bad SKU).',
  },
  CON_NOT_FOUND: { httpStatus: 404, retryable: false, description: 'No console API route or front-end file here.' },
  CON_SERVICE_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description: 'A service did not answer the console (refused, reset or over the call timeout); shown on the page.',
  },
  CON_SERVICE_ERROR: {
    httpStatus: 502,
    retryable: true,
    description: 'A service answered an error without the shared error body (a proxy, a crash page).',
  },
  CON_KAFKA_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description: "The cluster's offsets could not be read for the lag pages; shown on the page.",
  },
  CON_AUDIT_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description:
      "The dlt tools' replay audit (PostgreSQL) could not be read for the replay history; shown on the page.",
  },
  CON_UNREACHABLE: {
    httpStatus: 503,
    retryable: true,
    description: 'In the browser: the console server itself did not answer an action.',
  },
} as const satisfies Record<`CON_${string}`, ErrorSpec>;

export type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;

export const consoleError: ErrorFactory<ConsoleErrorCode> = errorFactory(CONSOLE_ERRORS);
