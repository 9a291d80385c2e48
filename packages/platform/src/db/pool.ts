import { type Attributes, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import pg from 'pg';
import { platformError } from '../errors.ts';
import { clearOutboxAppend, signalOutboxCommit } from '../outbox/outbox-signal.ts';
import { batchLinks, insideTrace } from '../tracing.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Connections per service process; the 2-core box runs four services against one PostgreSQL. */
export const DEFAULT_POOL_SIZE = 10;
/** A connection attempt that takes longer than this means the server is not there. */
export const DB_CONNECT_TIMEOUT_MS = 5_000;
export const DB_IDLE_TIMEOUT_MS = 30_000;

export interface PoolOptions {
  /** Default: DEFAULT_POOL_SIZE. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Makes a span per `inTransaction` on this pool. Default: none (no spans: tracing is off). */
  tracer?: Tracer;
  /** Longest wait for a connection, from the pool or a new one. Default: DB_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
}

/** What a transaction span says about its database, per traced pool. */
interface PoolTracing {
  readonly tracer: Tracer;
  readonly attributes: Attributes;
}

const tracedPools = new WeakMap<Pool, PoolTracing>();

export function createPool(url: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: DB_IDLE_TIMEOUT_MS,
    ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, it would crash the
  // process. The next query on a fresh client reports the outage where it can be retried.
  pool.on('error', () => {});
  routePoolQueriesThroughConnect(pool);
  if (options.tracer !== undefined) {
    const parsed = new URL(url);
    tracedPools.set(pool, {
      tracer: options.tracer,
      attributes: {
        'db.system.name': 'postgresql',
        'db.system': 'postgresql',
        'db.namespace': decodeURIComponent(parsed.pathname.slice(1)),
        'db.operation.name': 'transaction',
        'server.address': parsed.hostname,
        'server.port': Number(parsed.port || 5432),
      },
    });
  }
  return pool;
}

/**
 * Takes a connection; any failure to get one is our database being unavailable (refused, not accepting
 * connections, too many clients, auth), whatever its SQLSTATE: PLT_POSTGRES_UNREACHABLE, retryable. This is
 * classification by where the error happened, so a connect failure is never mistaken for a bad record.
 */
export async function connect(pool: Pool): Promise<PoolClient> {
  try {
    const client = await pool.connect();
    guardCheckedOutClient(client);
    return client;
  } catch (error) {
    throw platformError('PLT_POSTGRES_UNREACHABLE', `Cannot get a database connection: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * `pool.query` takes its connection the way `connect` does, so that failing to get one (the server down, or
 * every connection busy past the connect timeout: pg-pool then rejects with a plain Error that has no code)
 * is PLT_POSTGRES_UNREACHABLE, retryable, answered 503, wherever a bare `pool.query` runs (a long-poll's
 * read, a gauge). Left to pg-pool, that error has nothing to classify it by but its message, and read as
 * unexpected (500). Like pg-pool's own `query`, a failed statement's client is not reused.
 */
function routePoolQueriesThroughConnect(pool: Pool): void {
  const query = async (...args: unknown[]): Promise<unknown> => {
    const client = await connect(pool);
    let failure: Error | undefined;
    try {
      return await (client.query as (...queryArgs: unknown[]) => Promise<unknown>)(...args);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(failure);
    }
  };
  pool.query = query as unknown as Pool['query'];
}

/** Clients that already carry the listener below (clients are reused by the pool). */
const guarded = new WeakSet<PoolClient>();
/** Checked-out clients whose connection died (the listener below saw it). */
const lostConnections = new WeakSet<PoolClient>();

/**
 * The pool listens for errors of idle clients only. A connection that dies while checked out but between
 * queries (PostgreSQL restarted or failed over while a handler awaits a provider inside its transaction)
 * emits 'error' on the client, and with no listener Node would crash the process. Listened to here, the
 * failure reaches the caller where it belongs: its next query rejects (an infrastructure failure, retried),
 * and the pool drops the broken client on release.
 */
function guardCheckedOutClient(client: PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', () => lostConnections.add(client));
}

/**
 * Runs `fn` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. When `fn`
 * appended to the outbox, the relays of `pool` are woken once COMMIT has returned (see outbox-signal.ts).
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const tracing = tracedPools.get(pool);
  if (tracing === undefined || !insideTrace()) return runTransaction(pool, fn);
  // One span for the whole transaction (connection wait included), not one per statement: cheap, and what
  // a trace needs to show where a request or a batch spent its time. Only inside a trace (a request, a
  // batch): a background poller's transactions would each start a trace of one span.
  const span = tracing.tracer.startSpan(`transaction ${tracing.attributes['db.namespace']}`, {
    kind: SpanKind.CLIENT,
    attributes: tracing.attributes,
    links: [...batchLinks()],
  });
  try {
    return await runTransaction(pool, fn);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

async function runTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let lost = false;
  // A mark left by earlier use of this connection outside inTransaction belongs to no transaction of ours.
  clearOutboxAppend(client);
  try {
    // Not awaited: the client queues fn's first statement behind it (with pg's pipeline mode, which a chaos
    // run showed crashing an instance on a PostgreSQL restart and is off for now, both would share the wire).
    // If BEGIN fails, so does that statement (or, when fn sends none, the await below), and the catch rolls back.
    const begun = client.query('BEGIN');
    begun.catch(() => {});
    const result = await fn(client);
    await begun;
    const commit = await client.query('COMMIT');
    // COMMIT of a transaction aborted by an error that `fn` caught reports ROLLBACK: nothing to announce.
    if (clearOutboxAppend(client) && commit.command === 'COMMIT') signalOutboxCommit(pool);
    return result;
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    if (!rolledBack || lostConnections.has(client)) {
      // The connection died under the transaction (PostgreSQL restarted, failed over, or ended the backend):
      // whatever `fn` threw follows from that (pg's own errors for it carry no SQLSTATE), nothing committed
      // (or, if COMMIT itself was cut, the inbox makes the retry a no-op). It is our database being
      // unavailable, to be retried, never a reason to dead-letter a record.
      lost = true;
      throw platformError(
        'PLT_POSTGRES_UNREACHABLE',
        `The database connection was lost during the transaction: ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    clearOutboxAppend(client);
    // A broken client is destroyed, not returned to the pool.
    client.release(lost);
  }
}
