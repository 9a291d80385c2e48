/**
 * Open-model load for a chaos run, against several Order Service instances as a client behind a load
 * balancer sees them: requests go round-robin over the instances, and a request that fails (connection
 * refused or reset by a killed instance, a timeout, a 5xx, a 503 while overloaded) is sent again to the
 * next instance. A retried POST carries the same Idempotency-Key and body, so it never makes a second
 * order; the order is "accepted" only when some instance answered 202.
 *
 * What the load keeps is what the customer was told (accepted order ids, answered statuses); everything
 * the run concludes about the system is read afterwards from its databases and topics (invariant-checker.ts).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintToken } from '@shop/platform';
import { HttpClient, type HttpResponse } from '../load/http-client.ts';
import { chooseSkus } from '../load/load-run.ts';
import { runOpenModel } from '../load/open-model.ts';

/** Per request; a killed instance fails fast (refused), a frozen one only by this. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Long-poll per request: short, so a request parked on an instance that dies is retried soon. */
const AWAIT_SECONDS = 5;
/**
 * Between retries of one request (each on the next instance): doubling from the first to the maximum, with
 * jitter, as a well-behaved client does. A fixed short delay turns thousands of requests in flight during
 * an outage into a retry storm that keeps an overloaded stack overloaded after the fault has healed.
 */
const RETRY_FIRST_DELAY_MS = 250;
const RETRY_MAX_DELAY_MS = 5_000;
/** A request still failing after this long is given up (the order is then neither accepted nor counted as lost). */
const GIVE_UP_MS = 90_000;
/** Enough customers that none comes near the Order Service's rate limit per customer (30 a minute). */
const CUSTOMER_POOL = 5_000;
/** Customer tokens outlive any run. */
const TOKEN_TTL_SECONDS = 24 * 60 * 60;
const MAX_QUANTITY_PER_LINE = 2;
const FINAL = new Set(['CONFIRMED', 'CANCELLED']);

export interface ChaosLoadOptions {
  orderUrls: readonly string[];
  /** The stack's HS256 secret: each order is placed, followed and cancelled with its customer's token. */
  authSecret: string;
  rate: number;
  durationSeconds: number;
  /** After the last order was sent, how long every order may take to become final. */
  drainSeconds: number;
  plentifulSkus: readonly string[];
  scarceSkus: readonly string[];
  /** Share of orders that ask for a scarce SKU. */
  scarceShare: number;
  /** Share of CONFIRMED orders the customer then cancels (refund path). */
  cancelShare: number;
  onProgress?(progress: {
    elapsedSeconds: number;
    sent: number;
    accepted: number;
    final: number;
    retries: number;
  }): void;
}

export interface ChaosLoadResult {
  startedAtMs: number;
  endedAtMs: number;
  sent: number;
  /** Order ids some instance answered 202 for. */
  accepted: string[];
  /** Orders whose POST never got a 202 (every retry failed until GIVE_UP_MS). */
  unanswered: number;
  /** POSTs answered with a 4xx other than 409/429 (a bug in the load or the API, never retried). */
  rejected: Record<string, number>;
  /**
   * Orders the customer asked to cancel after they were CONFIRMED, answered or not: each ends CONFIRMED
   * (the cancel never arrived) or CANCELLED after its confirmation.
   */
  cancelled: string[];
  /** Requests sent again after a failure, by what failed. */
  retries: Record<string, number>;
  /** Orders still not final in the answers when the drain ended (the checker reads the database too). */
  notFinalInAnswers: string[];
  /** Orders offered per second since the start (index = second). */
  offeredPerSecond: number[];
}

export async function runChaosLoad(options: ChaosLoadOptions): Promise<ChaosLoadResult> {
  const clients = options.orderUrls.map((url) => new HttpClient(url, REQUEST_TIMEOUT_MS));
  let next = 0;
  const retries: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const accepted: string[] = [];
  const cancelled: string[] = [];
  const notFinal: string[] = [];
  const offeredPerSecond: number[] = [];
  const customers = Array.from({ length: CUSTOMER_POOL }, () => randomUUID());
  const tokens = new Map<string, Promise<string>>();
  /** The header line that authenticates as `customer` (minted once per customer). */
  const authorization = async (customer: string) => {
    let token = tokens.get(customer);
    if (token === undefined) {
      token = mintToken(options.authSecret, { subject: customer, roles: ['customer'], ttlSeconds: TOKEN_TTL_SECONDS });
      tokens.set(customer, token);
    }
    return `authorization: Bearer ${await token}\r\n`;
  };
  let sent = 0;
  let unanswered = 0;
  let final = 0;
  const startedAtMs = Date.now();
  const drainDeadline = startedAtMs + (options.durationSeconds + options.drainSeconds) * 1_000;

  /** Sends until an instance gives an answer `done` accepts; undefined when it gave up. */
  async function request(
    method: 'GET' | 'POST',
    path: string,
    headers: string,
    body: string | undefined,
    done: (response: HttpResponse) => boolean,
    until: number,
  ): Promise<HttpResponse | undefined> {
    for (let attempt = 0; Date.now() < until; attempt++) {
      const client = clients[next++ % clients.length] as HttpClient;
      let why: string;
      try {
        const response = await client.request(method, path, headers, body);
        if (done(response)) return response;
        why = `http-${response.status}`;
      } catch (error) {
        why = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      }
      retries[why] = (retries[why] ?? 0) + 1;
      // The first retry goes to the next instance at once (the usual case: this one was killed).
      if (attempt > 0) {
        const ceiling = Math.min(RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1), RETRY_MAX_DELAY_MS);
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      }
    }
    return undefined;
  }

  /** Long-polls (on any instance) until the order's status satisfies `wanted` or the drain ends. */
  async function awaitStatus(
    orderId: string,
    auth: string,
    wanted: (status: string) => boolean,
  ): Promise<string | undefined> {
    let status: string | undefined;
    while (Date.now() < drainDeadline) {
      const response = await request(
        'GET',
        `/orders/${orderId}?wait=${AWAIT_SECONDS}`,
        auth,
        undefined,
        (r) => r.status === 200,
        drainDeadline,
      );
      if (response === undefined) break;
      status = (JSON.parse(response.body) as { status: string }).status;
      if (wanted(status)) return status;
    }
    return status;
  }

  async function order(index: number): Promise<void> {
    sent++;
    const second = Math.floor((Date.now() - startedAtMs) / 1_000);
    offeredPerSecond[second] = (offeredPerSecond[second] ?? 0) + 1;
    const skus = chooseSkus(options.plentifulSkus, options.scarceSkus, options.scarceShare);
    const auth = await authorization(customers[index % CUSTOMER_POOL] as string);
    const body = JSON.stringify({
      items: [...skus].map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * MAX_QUANTITY_PER_LINE) })),
      contact: {
        email: `customer-${index % CUSTOMER_POOL}@example.com`,
        ...(index % 2 === 0 ? { phone: '+4915112345678' } : {}),
      },
    });
    const headers = `content-type: application/json\r\nidempotency-key: ${randomUUID()}\r\n${auth}`;
    let client4xx: number | undefined;
    const placed = await request(
      'POST',
      '/orders',
      headers,
      body,
      (r) => {
        if (r.status === 202) return true;
        // A 4xx other than "in progress"/"slow down" is the request's own fault: retrying cannot help.
        if (r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 429) client4xx = r.status;
        return client4xx !== undefined;
      },
      Date.now() + GIVE_UP_MS,
    );
    if (placed === undefined) {
      unanswered++;
      return;
    }
    if (client4xx !== undefined) {
      rejected[`http-${client4xx}`] = (rejected[`http-${client4xx}`] ?? 0) + 1;
      return;
    }
    const { orderId } = JSON.parse(placed.body) as { orderId: string };
    accepted.push(orderId);
    let status = await awaitStatus(orderId, auth, (s) => FINAL.has(s));
    if (status === 'CONFIRMED' && Math.random() < options.cancelShare) {
      // Recorded before it is sent: a cancel whose answer is lost (an instance killed, the drain's end) may
      // still have been applied, and the checker must then expect the confirmation and the cancellation.
      cancelled.push(orderId);
      const answer = await request(
        'POST',
        `/orders/${orderId}/cancel`,
        auth,
        undefined,
        (r) => r.status === 202 || r.status === 200,
        drainDeadline,
      );
      if (answer !== undefined) {
        status = await awaitStatus(orderId, auth, (s) => s === 'CANCELLED');
      }
    }
    if (status !== undefined && FINAL.has(status)) final++;
    else notFinal.push(orderId);
  }

  const progress = setInterval(() => {
    const retried = Object.values(retries).reduce((a, b) => a + b, 0);
    options.onProgress?.({
      elapsedSeconds: (Date.now() - startedAtMs) / 1_000,
      sent,
      accepted: accepted.length,
      final,
      retries: retried,
    });
  }, 5_000);
  const pending: Promise<void>[] = [];
  try {
    await runOpenModel({
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      fire: (index) => {
        const p = order(index);
        pending.push(p);
        return p;
      },
    });
    await Promise.all(pending);
  } finally {
    clearInterval(progress);
    for (const client of clients) client.close();
  }
  return {
    startedAtMs,
    endedAtMs: Date.now(),
    sent,
    accepted,
    unanswered,
    rejected,
    cancelled,
    retries,
    notFinalInAnswers: notFinal,
    offeredPerSecond: Array.from(offeredPerSecond, (n) => n ?? 0),
  };
}
