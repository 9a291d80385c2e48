/**
 * Every call the console makes to a service goes through `callService`, and every header it sends comes from
 * `serviceHeaders`: the one place where the caller's identity (an operator, or a customer acting on an
 * order) becomes request headers once the services require them.
 */
import type { ConsoleError, Part, ServiceName } from './contracts.ts';
import type { ConsoleErrorCode } from './errors.ts';

/** Who the console acts as on a call: the operator, or the customer who owns the order (cancel). */
export type Caller = { as: 'operator' } | { as: 'customer'; customerId: string };

/** The headers that say who is calling. None yet: the services' APIs take no credentials today. */
export function serviceHeaders(_caller: Caller): Record<string, string> {
  return {};
}

/** How long one call to a service may take before it counts as unavailable. */
export const SERVICE_CALL_TIMEOUT_MS = 3_000;

export type ServiceUrls = Readonly<Record<ServiceName, string>>;

export interface ServiceAnswer {
  /** The HTTP status, or 0 when the service did not answer. */
  status: number;
  body: unknown;
}

export async function callService(
  urls: ServiceUrls,
  service: ServiceName,
  path: string,
  options: { caller: Caller; method?: 'GET' | 'POST' | 'PUT'; body?: unknown; accept?: string },
): Promise<ServiceAnswer> {
  const headers: Record<string, string> = {
    ...serviceHeaders(options.caller),
    accept: options.accept ?? 'application/json',
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${urls[service]}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(SERVICE_CALL_TIMEOUT_MS),
    });
  } catch (error) {
    return { status: 0, body: unavailableBody(service, error) };
  }
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, body };
}

function unavailableBody(service: ServiceName, error: unknown): { error: ConsoleError } {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
  return {
    error: {
      code: 'CON_SERVICE_UNAVAILABLE' satisfies ConsoleErrorCode,
      message: `The ${service} service did not answer (${cause})`,
    },
  };
}

/** The error of a non-2xx answer, in the services' shape when they sent one. */
export function answerError(service: ServiceName, answer: ServiceAnswer): ConsoleError {
  const error = (answer.body as { error?: ConsoleError } | undefined)?.error;
  if (error !== undefined && typeof error.code === 'string') return error;
  return {
    code: 'CON_SERVICE_ERROR' satisfies ConsoleErrorCode,
    message: `The ${service} service answered ${answer.status}`,
  };
}

/** GET `path` as a snapshot part: the JSON of a 2xx answer, or the error. */
export async function readPart<T>(
  urls: ServiceUrls,
  service: ServiceName,
  path: string,
  caller: Caller,
  map: (body: unknown) => T = (body) => body as T,
): Promise<Part<T>> {
  const answer = await callService(urls, service, path, { caller });
  if (answer.status >= 200 && answer.status < 300) return { ok: true, value: map(answer.body) };
  return { ok: false, error: answerError(service, answer) };
}
