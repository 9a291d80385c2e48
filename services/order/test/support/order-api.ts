/** A thin HTTP client for the Order Service under test (real HTTP over loopback). */
import { randomUUID } from 'node:crypto';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  /** Wall-clock time the request took, in ms. */
  elapsedMs: number;
}

export interface OrderApi {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  postRaw(path: string, raw: string, headers?: Record<string, string>): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
}

export function orderApi(baseUrl: string): OrderApi {
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
  return {
    post: (path, body, headers = {}) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    postRaw: (path, raw, headers = {}) =>
      call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw }),
    get: (path) => call(path, { method: 'GET' }),
  };
}

/** A valid order body for a new random customer (override any field). */
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
