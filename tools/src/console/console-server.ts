/**
 * The operator console's server: serves the built front end (web/, built by web-build.ts) and the console's
 * API under /api — event streams that push a snapshot whenever it changes, and the few actions (cancel,
 * retry, set stock passed to the services' public HTTP APIs; dead-letter replays through the dlt tools). It
 * holds no state of its own and opens no service's database: what it shows comes from the services' APIs and
 * the tools' Kafka read paths (lag, dead letters).
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { KafkaConnection, KafkaNamespace } from '@shop/platform';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import Value from 'typebox/value';
import { MAX_RECENT_RUNS } from '../dlt/dlt-audit.ts';
import type { GroupTopics } from '../lag/lag-reader.ts';
import {
  type DeadLetterFilter,
  type DeadLetterSnapshot,
  type Order,
  type OrderSnapshot,
  type Payments,
  type Product,
  ReplayRequest,
  type ServiceName,
  type ServiceResult,
  type StockSnapshot,
} from './contracts.ts';
import { listDeadLetters, REPLAY_HISTORY_LIMIT, ReplayHistoryReader, replayDeadLetters } from './dead-letters.ts';
import type { ConsoleErrorCode } from './errors.ts';
import { DeadLetterCountSource, LagSource, OverviewSource, TopicsSource } from './live-sources.ts';
import {
  answerError,
  type ConsoleCredentials,
  callService,
  readPart,
  type ServiceAnswer,
  type ServiceTarget,
  type ServiceUrls,
} from './service-client.ts';

/** A comment line sent on quiet streams so proxies and the browser keep the connection open. */
const HEARTBEAT_MS = 15_000;
/** The topics' configuration changes rarely; reading it is a metadata and a config request per topic. */
const TOPICS_POLL_INTERVAL_MS = 10_000;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const STATE = /^[A-Z][A-Z_]{0,39}$/;
/** Orders one listing shows (the Order Service's largest page). */
const ORDER_LIST_LIMIT = 100;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface ConsoleOptions {
  services: ServiceUrls;
  /** How the console proves who it calls the services as (operator, or an order's customer). */
  credentials: ConsoleCredentials;
  kafka: {
    /** The lag readings' login (the lag reader's principal). */
    connection: KafkaConnection;
    /** Reading and replaying dead letters (the DLT replayer's principal). Default: `connection`. */
    deadLettersConnection?: KafkaConnection;
    /** The catalog beside the cluster (a read-only provisioning plan: the provisioner). Default: `connection`. */
    catalogConnection?: KafkaConnection;
    namespace: KafkaNamespace;
    groups: readonly GroupTopics[];
  };
  /** The built front end (index.html and assets/). */
  webRoot: string;
  /** Time between two readings of the lag, the overview, an order or the stock. */
  pollIntervalMs: number;
  /** Lag readings in the Burrow-style status window. */
  lagWindowSamples: number;
  /** The replay audit's PostgreSQL server (the dlt tools' database) and, for tests, its database name. */
  deadLetters: { databaseUrl: string; auditDatabase?: string };
}

/** Reading every dead-letter topic to its end is a scan: a listing is read again at most this often. */
const DEAD_LETTER_POLL_FLOOR_MS = 2_000;

/** Writes one event of a Server-Sent Events stream. */
function sendEvent(raw: ServerResponse, data: unknown): void {
  raw.write(`data: ${JSON.stringify(data)}\n\n`);
}

export async function createConsoleServer(options: ConsoleOptions): Promise<FastifyInstance> {
  const target: ServiceTarget = { urls: options.services, credentials: options.credentials };
  // Event streams never end by themselves: closing the server closes every connection instead of waiting.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const lag = new LagSource({
    connection: options.kafka.connection,
    groups: options.kafka.groups,
    intervalMs: options.pollIntervalMs,
    windowSamples: options.lagWindowSamples,
  });
  const deadLetterOptions = {
    connection: options.kafka.deadLettersConnection ?? options.kafka.connection,
    namespace: options.kafka.namespace,
    ...options.deadLetters,
  };
  const deadLetterCounts = new DeadLetterCountSource({
    deadLetters: deadLetterOptions,
    intervalMs: Math.max(options.pollIntervalMs, DEAD_LETTER_POLL_FLOOR_MS),
  });
  const overview = new OverviewSource({
    target,
    lag,
    deadLetters: deadLetterCounts,
    intervalMs: options.pollIntervalMs,
  });
  const topics = new TopicsSource({
    connection: options.kafka.catalogConnection ?? options.kafka.connection,
    namespace: options.kafka.namespace,
    intervalMs: TOPICS_POLL_INTERVAL_MS,
  });
  const streams = new Set<ServerResponse>();
  lag.start();
  deadLetterCounts.start();
  overview.start();
  topics.start();
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
  });
  app.addHook('onClose', async () => {
    await Promise.all([overview.stop(), lag.stop(), topics.stop(), deadLetterCounts.stop()]);
  });

  /**
   * Answers with a stream that sends `read()` at once and then again every time it changes, read on every
   * `changes` notification (or every poll interval when none is given), until the browser goes away.
   */
  const stream = (
    reply: FastifyReply,
    read: () => Promise<unknown> | unknown,
    changes?: (f: () => void) => () => void,
    intervalMs = options.pollIntervalMs,
  ) => {
    reply.hijack();
    const { raw } = reply;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    streams.add(raw);
    let last = '';
    let closed = false;
    let reading = false;
    const push = async () => {
      if (closed || reading) return;
      reading = true;
      try {
        const value = await read();
        const text = JSON.stringify(value);
        if (value !== undefined && text !== last && !closed) {
          last = text;
          sendEvent(raw, value);
        }
      } finally {
        reading = false;
      }
    };
    void push();
    const unsubscribe = changes?.(() => void push());
    const timer = changes === undefined ? setInterval(() => void push(), intervalMs) : undefined;
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      closed = true;
      streams.delete(raw);
      unsubscribe?.();
      clearInterval(timer);
      clearInterval(heartbeat);
    });
  };
  /** The service's answer as a ServiceResult, from a service named for its errors. */
  const passOn = (reply: FastifyReply, answer: ServiceAnswer, service: ServiceName = 'order') => {
    const ok = answer.status >= 200 && answer.status < 300;
    const result: ServiceResult<unknown> = ok
      ? { ok: true, status: answer.status, body: answer.body }
      : { ok: false, status: answer.status, error: answerError(service, answer) };
    return reply.header('cache-control', 'no-store').send(result);
  };
  const badRequest = (reply: FastifyReply, message: string) =>
    reply.status(400).send({ error: { code: 'CON_INVALID_INPUT' satisfies ConsoleErrorCode, message } });

  // Its own /metrics, like every process `npm start` runs (Prometheus scrapes it with the others).
  const registry = new Registry();
  new Gauge({
    name: 'console_streams_open',
    help: 'Browser event streams the console is serving',
    registers: [registry],
    collect() {
      this.set(streams.size);
    },
  });
  app.get('/health', async () => ({ status: 'ok', service: 'console' }));
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );

  app.get('/api/stream/overview', (_request, reply) => {
    stream(
      reply,
      () => overview.snapshot,
      (listener) => overview.subscribe(listener),
    );
  });
  app.get('/api/stream/lag', (_request, reply) => {
    stream(
      reply,
      () => lag.snapshot,
      (listener) => lag.subscribe(listener),
    );
  });
  app.get('/api/stream/topics', (_request, reply) => {
    stream(
      reply,
      () => topics.snapshot,
      (listener) => topics.subscribe(listener),
    );
  });
  app.get('/api/stream/stock', (_request, reply) => {
    stream(
      reply,
      async (): Promise<StockSnapshot> => ({
        products: await readPart(
          target,
          'inventory',
          '/inventory?limit=1000',
          { as: 'operator' },
          (body) => (body as { items: Product[] }).items,
        ),
      }),
    );
  });
  app.get<{ Params: { id: string } }>('/api/stream/orders/:id', (request, reply) => {
    const orderId = request.params.id.toLowerCase();
    if (!UUID.test(orderId)) return badRequest(reply, 'The order id is a UUID');
    const operator = { as: 'operator' } as const;
    stream(reply, async (): Promise<OrderSnapshot> => {
      const [order, payments, reservation, notifications] = await Promise.all([
        readPart<Order>(target, 'order', `/orders/${orderId}`, operator),
        readPart<Payments>(target, 'payment', `/payments?orderId=${orderId}`, operator),
        readReservation(target, orderId),
        readPart(target, 'notification', `/notifications?orderId=${orderId}`, operator, (body) =>
          (body as { notifications: OrderSnapshotNotifications }).notifications.map((n) => ({
            outcome: n.outcome,
            channel: n.channel,
            status: n.status,
            recipient: n.recipient,
            subject: n.subject,
            attempts: n.attempts,
            createdAt: n.createdAt,
          })),
        ),
      ]);
      return { order, payments, reservation, notifications };
    });
  });

  const replayHistory = new ReplayHistoryReader(deadLetterOptions);
  app.addHook('onClose', () => replayHistory.close());
  // Polled as well as pushed after the console's own replays: a run from `npm run dlt` shows up too.
  const replayRunChanges = new Set<() => void>();
  app.get('/api/stream/replay-runs', (_request, reply) => {
    stream(
      reply,
      () => replayHistory.read(),
      (listener) => {
        replayRunChanges.add(listener);
        const timer = setInterval(listener, Math.max(options.pollIntervalMs, DEAD_LETTER_POLL_FLOOR_MS));
        return () => {
          replayRunChanges.delete(listener);
          clearInterval(timer);
        };
      },
    );
  });
  app.get<{ Querystring: { limit?: string } }>('/api/dead-letters/replays', async (request, reply) => {
    const limit = request.query.limit === undefined ? REPLAY_HISTORY_LIMIT : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT_RUNS) {
      return badRequest(reply, `limit is an integer from 1 to ${MAX_RECENT_RUNS}`);
    }
    return reply.header('cache-control', 'no-store').send(await replayHistory.read(limit));
  });
  app.get<{ Querystring: Record<string, string> }>('/api/stream/dead-letters', (request, reply) => {
    const filter: DeadLetterFilter = {};
    for (const name of ['consumer', 'code', 'since', 'orderId', 'eventId'] as const) {
      const value = request.query[name];
      if (typeof value === 'string' && value.length <= 200) filter[name] = value;
    }
    stream(
      reply,
      async (): Promise<DeadLetterSnapshot> => {
        const list = await listDeadLetters(deadLetterOptions, filter);
        return { list: list.ok ? list : { ok: false, error: list.error } };
      },
      undefined,
      Math.max(options.pollIntervalMs, DEAD_LETTER_POLL_FLOOR_MS),
    );
  });
  app.post<{ Body: unknown }>('/api/dead-letters/replay', async (request, reply) => {
    if (!Value.Check(ReplayRequest, request.body)) {
      return badRequest(reply, 'A replay is { filter, dryRun, rate? } with rate above 0 and at most 10000');
    }
    const body = request.body as ReplayRequest;
    const result = await replayDeadLetters(deadLetterOptions, {
      filter: body.filter,
      dryRun: body.dryRun,
      ...(body.rate === undefined ? {} : { rate: body.rate }),
    });
    if (result.ok && !result.value.dryRun) for (const listener of replayRunChanges) listener();
    const answer: ServiceResult<unknown> = result.ok
      ? { ok: true, status: 200, body: result.value }
      : { ok: false, status: 400, error: result.error };
    return reply.header('cache-control', 'no-store').send(answer);
  });

  app.get<{ Querystring: { customerId?: string; status?: string; sagaState?: string } }>(
    '/api/orders',
    async (request, reply) => {
      const { customerId, status, sagaState } = request.query;
      const search = new URLSearchParams({ limit: String(ORDER_LIST_LIMIT) });
      if (customerId !== undefined) {
        if (!UUID.test(customerId)) return badRequest(reply, 'customerId is a UUID');
        search.set('customerId', customerId.toLowerCase());
      }
      // The state names are the Order Service's to check; here only their shape, so nothing else reaches its query.
      for (const [name, value] of [
        ['status', status],
        ['sagaState', sagaState],
      ] as const) {
        if (value === undefined) continue;
        if (!STATE.test(value)) return badRequest(reply, `${name} is a state name, like PENDING`);
        search.set(name, value);
      }
      if (customerId === undefined && status === undefined && sagaState === undefined) {
        return badRequest(reply, 'Name a customerId (a UUID), a status or a sagaState');
      }
      return passOn(reply, await callService(target, 'order', `/orders?${search}`, { caller: { as: 'operator' } }));
    },
  );
  app.post<{ Params: { id: string } }>('/api/orders/:id/cancel', async (request, reply) => {
    const orderId = request.params.id.toLowerCase();
    if (!UUID.test(orderId)) return badRequest(reply, 'The order id is a UUID');
    // The customer cancels their own order: the console acts as the order's customer, read from the order.
    const order = await callService(target, 'order', `/orders/${orderId}`, { caller: { as: 'operator' } });
    if (order.status !== 200) return passOn(reply, order);
    const customerId = (order.body as { customerId: string }).customerId;
    return passOn(
      reply,
      await callService(target, 'order', `/orders/${orderId}/cancel`, {
        method: 'POST',
        caller: { as: 'customer', customerId },
      }),
    );
  });
  app.post<{ Params: { id: string } }>('/api/sagas/:id/retry', async (request, reply) => {
    const orderId = request.params.id.toLowerCase();
    if (!UUID.test(orderId)) return badRequest(reply, 'The order id is a UUID');
    return passOn(
      reply,
      await callService(target, 'order', `/sagas/${orderId}/retry`, { method: 'POST', caller: { as: 'operator' } }),
    );
  });
  app.put<{ Params: { sku: string }; Body: unknown }>('/api/inventory/:sku', async (request, reply) => {
    const { sku } = request.params;
    if (!SKU.test(sku)) return badRequest(reply, 'Not a SKU');
    return passOn(
      reply,
      await callService(target, 'inventory', `/inventory/${encodeURIComponent(sku)}`, {
        method: 'PUT',
        body: request.body,
        caller: { as: 'operator' },
      }),
      'inventory',
    );
  });
  app.all('/api/*', async (_request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'CON_NOT_FOUND' satisfies ConsoleErrorCode, message: 'No such console API route' } }),
  );

  // The front end: its files, and index.html for every other path (the pages are routed in the browser).
  app.get('/*', async (request, reply) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(new URL(request.url, 'http://console').pathname);
    } catch {
      return reply
        .status(404)
        .send({ error: { code: 'CON_NOT_FOUND' satisfies ConsoleErrorCode, message: 'No such file' } });
    }
    // Normalised from the root, so no `..` can leave the web root.
    const path = normalize(`/${decoded}`);
    const file = join(options.webRoot, path);
    const inside = file.startsWith(options.webRoot) && extname(file) !== '';
    try {
      const body = await readFile(inside ? file : join(options.webRoot, 'index.html'));
      const type = inside ? (CONTENT_TYPES[extname(file)] ?? 'application/octet-stream') : CONTENT_TYPES['.html'];
      return reply
        .header('content-type', type ?? 'text/plain')
        .header(
          'cache-control',
          inside && path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        )
        .send(body);
    } catch {
      return reply
        .status(404)
        .send({ error: { code: 'CON_NOT_FOUND' satisfies ConsoleErrorCode, message: `No file ${path}` } });
    }
  });
  return app;
}

type OrderSnapshotNotifications = Array<{
  outcome: string;
  channel: string;
  status: string;
  recipient: string | null;
  subject: string | null;
  attempts: number;
  createdAt: string;
}>;

/** The order's reservation; none (yet) is a normal state while the saga has not reached Inventory. */
async function readReservation(target: ServiceTarget, orderId: string): Promise<OrderSnapshot['reservation']> {
  const answer = await callService(target, 'inventory', `/reservations/${orderId}`, { caller: { as: 'operator' } });
  if (answer.status === 200) {
    const body = answer.body as { status: string; lines: { sku: string; quantity: number }[]; total?: never };
    return {
      ok: true,
      value: {
        status: body.status,
        lines: body.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
        ...(body.total === undefined ? {} : { total: body.total }),
      },
    };
  }
  const error = answerError('inventory', answer);
  if (error.code === 'INV_RESERVATION_NOT_FOUND') return { ok: true, value: null };
  return { ok: false, error };
}
