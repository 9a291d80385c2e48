/**
 * Every call the console makes to a service goes through `callService`, and who it calls as (an operator, or
 * the customer who owns an order) becomes a bearer token in one place: the target's `ConsoleCredentials`.
 */
import { mintToken } from '@shop/platform';
import type { ConsoleError, Part, ServiceName } from './contracts.ts';
import type { ConsoleErrorCode } from './errors.ts';

/** Who the console acts as on a call: the operator, or the customer who owns the order (cancel). */
export type Caller = { as: 'operator' } | { as: 'customer'; customerId: string };

/** The request headers that say who is calling. */
export interface ConsoleCredentials {
  headers(caller: Caller): Promise<Record<string, string>>;
}

/** Lifetime of the tokens the console mints for itself; renewed this long before they expire. */
export const CONSOLE_TOKEN_TTL_SECONDS = 3_600;
const RENEW_BEFORE_MS = 5 * 60_000;
/** Customer tokens kept for re-use (a customer's page is read every poll while it is open). */
const MAX_CACHED_CUSTOMER_TOKENS = 1_000;

/**
 * Tokens minted with the stack's HS256 secret (the local stack's, or one the operator gives): an operator
 * token for the console's reads and operator actions, and the owner's customer token for a cancellation,
 * which the console makes as the customer would.
 */
export function signedCredentials(secret: string): ConsoleCredentials {
  const cache = new Map<string, { token: Promise<string>; renewAt: number }>();
  const token = (subject: string, roles: ['operator'] | ['customer']) => {
    const key = `${roles[0]}:${subject}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.renewAt > Date.now()) return cached.token;
    if (cache.size >= MAX_CACHED_CUSTOMER_TOKENS) cache.clear();
    const minted = mintToken(secret, { subject, roles, ttlSeconds: CONSOLE_TOKEN_TTL_SECONDS });
    cache.set(key, { token: minted, renewAt: Date.now() + CONSOLE_TOKEN_TTL_SECONDS * 1_000 - RENEW_BEFORE_MS });
    minted.catch(() => cache.delete(key));
    return minted;
  };
  return {
    async headers(caller) {
      const bearer =
        caller.as === 'operator' ? await token('console', ['operator']) : await token(caller.customerId, ['customer']);
      return { authorization: `Bearer ${bearer}` };
    },
  };
}

/**
 * One operator token given to the console (an identity provider's, where the console cannot mint): every
 * call is made with it, a cancellation too (operators may cancel any order).
 */
export function operatorTokenCredentials(token: string): ConsoleCredentials {
  return { headers: async () => ({ authorization: `Bearer ${token}` }) };
}

/** How long one call to a service may take before it counts as unavailable. */
export const SERVICE_CALL_TIMEOUT_MS = 3_000;

export type ServiceUrls = Readonly<Record<ServiceName, string>>;

/** Where the services are, and how the console proves who it calls as. */
export interface ServiceTarget {
  readonly urls: ServiceUrls;
  readonly credentials: ConsoleCredentials;
}

export interface ServiceAnswer {
  /** The HTTP status, or 0 when the service did not answer. */
  status: number;
  body: unknown;
}

export async function callService(
  target: ServiceTarget,
  service: ServiceName,
  path: string,
  options: { caller: Caller; method?: 'GET' | 'POST' | 'PUT'; body?: unknown; accept?: string },
): Promise<ServiceAnswer> {
  const headers: Record<string, string> = {
    ...(await target.credentials.headers(options.caller)),
    accept: options.accept ?? 'application/json',
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${target.urls[service]}${path}`, {
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
  target: ServiceTarget,
  service: ServiceName,
  path: string,
  caller: Caller,
  map: (body: unknown) => T = (body) => body as T,
): Promise<Part<T>> {
  const answer = await callService(target, service, path, { caller });
  if (answer.status >= 200 && answer.status < 300) return { ok: true, value: map(answer.body) };
  return { ok: false, error: answerError(service, answer) };
}
