/**
 * A minimal HTTP/1.1 client for the load generator's hot path (one POST and one long-poll per order).
 * The generator shares the machine with the stack it measures, so its cost per request matters: node:http's
 * ClientRequest machinery cost about 0.8 ms of CPU per order on the project's 2-core machine, three times
 * the budget (a tenth of a core at 500 orders/s). This client writes each request with one socket write and
 * reads a Content-Length (or chunked) response straight from the socket's buffers, over keep-alive
 * connections reused last-in first-out; no pipelining, so a long-poll never delays another request.
 *
 * Scope: requests and responses of the services' JSON API (small bodies, no 1xx, no upgrades).
 */
import { connect, type Socket } from 'node:net';

/** How often request deadlines are checked: one timer per client, not one per request. */
const DEADLINE_SWEEP_MS = 250;
const HEADER_END = Buffer.from('\r\n\r\n');

export interface HttpResponse {
  status: number;
  headers: string;
  body: string;
}

interface Pending {
  resolve(response: HttpResponse): void;
  reject(error: Error): void;
  deadline: number;
  /** Bytes of the response received so far. */
  chunks: Buffer[];
  received: number;
}

class Connection {
  readonly socket: Socket;
  pending: Pending | undefined;
  /** A request was already answered on it: a failure before any byte may be a keep-alive race, retried. */
  reused = false;
  closed = false;

  constructor(host: string, port: number, onClose: (c: Connection) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    const fail = (error?: Error) => {
      this.closed = true;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(
        Object.assign(error ?? new Error('connection closed'), { beforeResponse: pending.received === 0 }),
      );
      onClose(this);
    };
    this.socket.on('error', (error) => fail(error));
    this.socket.on('close', () => fail());
  }

  #onData(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) return;
    pending.chunks.push(chunk);
    pending.received += chunk.length;
    const data = pending.chunks.length === 1 ? chunk : Buffer.concat(pending.chunks);
    pending.chunks = [data];
    const response = parseResponse(data);
    if (response === undefined) return;
    this.pending = undefined;
    this.reused = true;
    if (/\r\nconnection:\s*close/i.test(response.headers)) this.socket.destroy();
    pending.resolve(response);
  }
}

/**
 * One complete response in `data`, or undefined while more bytes are needed. Bodies are framed by
 * Content-Length or chunked transfer encoding.
 */
export function parseResponse(data: Buffer): HttpResponse | undefined {
  const headEnd = data.indexOf(HEADER_END);
  if (headEnd < 0) return undefined;
  const headers = data.toString('latin1', 0, headEnd);
  const status = Number(headers.slice(9, 12));
  const bodyStart = headEnd + 4;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(headers)?.[1];
  if (length !== undefined) {
    const end = bodyStart + Number(length);
    return data.length < end ? undefined : { status, headers, body: data.toString('utf8', bodyStart, end) };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(headers)) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    while (true) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(data.toString('latin1', at, lineEnd), 16);
      if (size === 0) {
        return data.indexOf('\r\n', lineEnd + 2) < 0
          ? undefined
          : { status, headers, body: Buffer.concat(parts).toString('utf8') };
      }
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  // No body framing: only bodiless statuses reach here in this API.
  return { status, headers, body: '' };
}

export class HttpClient {
  readonly #host: string;
  readonly #port: number;
  readonly #hostHeader: string;
  readonly #timeoutMs: number;
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(origin: string, timeoutMs: number) {
    const url = new URL(origin);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#hostHeader = url.host;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one request; `headers` are extra header lines, each ending in \r\n. */
  async request(method: string, path: string, headers = '', body?: string): Promise<HttpResponse> {
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n${headers}${
      body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`
    }\r\n`;
    const payload = body === undefined ? head : head + body;
    try {
      return await this.#send(payload, true);
    } catch (error) {
      // A keep-alive connection the server closed just as we reused it fails before any byte came back:
      // nothing was processed, so it is sent again once on a fresh connection. (POST /orders carries an
      // Idempotency-Key, so even a request the server did see cannot place a second order.)
      if ((error as { beforeResponse?: boolean; reusedConnection?: boolean }).reusedConnection) {
        return this.#send(payload, false);
      }
      throw error;
    }
  }

  #send(payload: string, mayReuse: boolean): Promise<HttpResponse> {
    let connection = mayReuse ? this.#idle.pop() : undefined;
    while (connection?.closed) connection = this.#idle.pop();
    connection ??= new Connection(this.#host, this.#port, (c) => this.#forget(c));
    const reused = connection.reused;
    connection.socket.ref();
    this.#busy.add(connection);
    this.#sweeper ??= setInterval(() => this.#sweep(), DEADLINE_SWEEP_MS).unref();
    const c = connection;
    return new Promise<HttpResponse>((resolve, reject) => {
      c.pending = {
        resolve: (response) => {
          this.#busy.delete(c);
          if (!c.closed) {
            // An idle keep-alive socket must not keep the process alive.
            c.socket.unref();
            this.#idle.push(c);
          }
          resolve(response);
        },
        reject: (error) => {
          this.#busy.delete(c);
          reject(
            Object.assign(error, {
              reusedConnection: reused && (error as { beforeResponse?: boolean }).beforeResponse,
            }),
          );
        },
        deadline: performance.now() + this.#timeoutMs,
        chunks: [],
        received: 0,
      };
      c.socket.write(payload);
    });
  }

  #forget(c: Connection): void {
    this.#busy.delete(c);
    const index = this.#idle.indexOf(c);
    if (index >= 0) this.#idle.splice(index, 1);
  }

  #sweep(): void {
    const now = performance.now();
    for (const c of this.#busy) {
      const pending = c.pending;
      if (pending === undefined || pending.deadline > now) continue;
      const error = new Error(`no answer within ${this.#timeoutMs} ms`);
      error.name = 'TimeoutError';
      c.pending = undefined;
      this.#busy.delete(c);
      c.socket.destroy();
      pending.reject(error);
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const c of [...this.#idle, ...this.#busy]) c.socket.destroy();
    this.#idle.length = 0;
    this.#busy.clear();
  }
}
