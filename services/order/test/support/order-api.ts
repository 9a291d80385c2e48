/** A thin HTTP client for the Order Service under test (real HTTP over loopback), with the callers' tokens. */
import { randomUUID } from 'node:crypto';
import { bearer, customerToken, operatorToken } from '@shop/test-support';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  /** Wall-clock time the request took, in ms. */
  elapsedMs: number;
}

/**
 * Who calls: `post` with a body naming a `customerId` is that customer (the id goes in the token, not the
 * body, as a real client sends it); any other `POST /orders` a new customer; everything else an operator,
 * who may read and act on every order. `as(token)` makes every request with that token and the body as given.
 * An `authorization` in `headers` wins.
 */
export interface OrderApi {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  postRaw(path: string, raw: string, headers?: Record<string, string>): Promise<ApiResponse>;
  get(path: string, headers?: Record<string, string>): Promise<ApiResponse>;
  as(token: string | undefined): OrderApi;
}

export function orderApi(baseUrl: string, fixed?: { token: string | undefined }): OrderApi {
  async function call(path: string, init: RequestInit): Promise<ApiResponse> {
    const started = performance.now();
    const response = await fetch(new URL(path, baseUrl), init);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
      elapsedMs: performance.now() - started,
    };
  }
  const auth = async (token: Promise<string>) => (fixed === undefined ? bearer(await token) : fixedAuth());
  const fixedAuth = (): Record<string, string> => (fixed?.token === undefined ? {} : bearer(fixed.token));
  const caller = (path: string, body: unknown): { token: Promise<string>; body: unknown } => {
    if (fixed === undefined && body !== null && typeof body === 'object' && 'customerId' in body) {
      const { customerId, ...rest } = body as { customerId: string };
      return { token: customerToken(customerId), body: rest };
    }
    return { token: path === '/orders' ? customerToken(randomUUID()) : operatorToken(), body };
  };
  return {
    post: async (path, body, headers = {}) => {
      const who = caller(path, body);
      // No body (cancel, retry): no content type either, as Fastify refuses an empty JSON body.
      return call(path, {
        method: 'POST',
        headers: {
          ...(who.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(await auth(who.token)),
          ...headers,
        },
        ...(who.body === undefined ? {} : { body: JSON.stringify(who.body) }),
      });
    },
    postRaw: async (path, raw, headers = {}) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await auth(caller(path, undefined).token)), ...headers },
        body: raw,
      }),
    get: async (path, headers = {}) =>
      call(path, { method: 'GET', headers: { ...(await auth(operatorToken())), ...headers } }),
    as: (token) => orderApi(baseUrl, { token }),
  };
}

/**
 * A valid order for a new random customer (override any field). `customerId` is not part of the request
 * body: `OrderApi.post` sends it as the customer's token.
 */
export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    customerId: randomUUID(),
    items: [
      { sku: 'MUG-RED', quantity: 2 },
      { sku: 'TEE-M-BLK', quantity: 1 },
    ],
    contact: { email: 'ada@example.com', phone: '+441632960961' },
    ...overrides,
  };
}
