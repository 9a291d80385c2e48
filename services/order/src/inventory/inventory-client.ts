/**
 * The REST reservation mode's outbound adapter: `PUT {INVENTORY_URL}/reservations/{orderId}`, built as a
 * team that chose REST would build it. Connections are reused (Node's fetch keeps a keep-alive pool per
 * origin). Each attempt has a timeout; a timeout, a refused connection or a 5xx is retried with the same
 * order id (Inventory decides an order id once, so a retry after a timeout that did reserve gets that same
 * reservation back, never a second one); a circuit breaker stops calling a dead Inventory after a few
 * failures in a row, so customers are refused at once instead of after every timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { platformError } from '@shop/platform';
import type { LineFailure } from '../domain/cancel-reason.ts';
import type { OrderLine } from '../domain/order.ts';
import type { ReservationAnswer, ReservationService } from '../domain/reservation-service.ts';
import { orderError } from '../errors.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

export interface InventoryClientOptions {
  readonly baseUrl: string;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Attempts after the first one. */
  readonly retries: number;
  readonly breakerFailures: number;
  readonly breakerOpenMs: number;
  /**
   * The bearer token of each call (role `service`: Inventory's reservation routes accept no other caller);
   * asked for per attempt, so a renewed token is used as soon as there is one.
   */
  readonly credential: () => Promise<string>;
}

/** Pause before retry n (1-based): short, the customer is waiting. */
const RETRY_DELAYS_MS = [25, 100, 250];

/** Inventory's reservation view: only what the saga reads. */
interface ReservationBody {
  status: 'RESERVED' | 'FAILED' | 'COMMITTED' | 'RELEASED';
  lines: {
    sku: string;
    quantity: number;
    unitPrice?: { amountMinor: number; currency: string };
    failure?: { reason: 'UNKNOWN_SKU' | 'INSUFFICIENT_STOCK'; available?: number };
  }[];
  total?: { amountMinor: number; currency: string };
}

/** A failure worth another attempt (and counted by the breaker). */
class Unreachable extends Error {}

export class InventoryClient implements ReservationService {
  readonly #options: InventoryClientOptions;
  readonly #breaker: CircuitBreaker;

  constructor(options: InventoryClientOptions) {
    this.#options = options;
    this.#breaker = new CircuitBreaker({ failureThreshold: options.breakerFailures, openMs: options.breakerOpenMs });
  }

  available(): boolean {
    return this.#breaker.allowsCalls;
  }

  async reserve(orderId: string, lines: readonly OrderLine[]): Promise<ReservationAnswer> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.#options.retries; attempt++) {
      if (attempt > 0) await sleep(RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]);
      if (!this.#breaker.tryAcquire()) {
        throw orderError('ORD_INVENTORY_UNAVAILABLE', 'Inventory is not answering (circuit open); retry in a moment', {
          details: { orderId },
          ...(last === undefined ? {} : { cause: last }),
        });
      }
      try {
        const body = await this.#attempt(orderId, lines);
        this.#breaker.succeeded();
        return toAnswer(body);
      } catch (error) {
        if (!(error instanceof Unreachable)) {
          // Inventory answered: the call worked, the request did not (a bug, never a reason to open).
          this.#breaker.succeeded();
          throw error;
        }
        this.#breaker.failed();
        last = error;
      }
    }
    throw orderError('ORD_INVENTORY_UNAVAILABLE', 'Inventory did not answer the reservation; retry in a moment', {
      details: { orderId },
      cause: last,
    });
  }

  async #attempt(orderId: string, lines: readonly OrderLine[]): Promise<ReservationBody> {
    let response: Response;
    try {
      response = await fetch(`${this.#options.baseUrl}/reservations/${orderId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.#options.credential()}` },
        body: JSON.stringify({ lines: lines.map((line) => ({ sku: line.sku, quantity: line.quantity })) }),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      throw new Unreachable(`PUT /reservations/${orderId}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text().catch((error: unknown) => {
      throw new Unreachable(`PUT /reservations/${orderId}: body ${(error as Error).message}`, { cause: error });
    });
    if (response.status >= 500) throw new Unreachable(`PUT /reservations/${orderId}: ${response.status} ${text}`);
    if (response.status !== 200 && response.status !== 201) {
      throw platformError(
        'PLT_UNEXPECTED',
        `Inventory refused the reservation of ${orderId}: ${response.status} ${text}`,
      );
    }
    return JSON.parse(text) as ReservationBody;
  }
}

function toAnswer(body: ReservationBody): ReservationAnswer {
  if (body.status === 'RELEASED') return { outcome: 'RELEASED' };
  if (body.status === 'FAILED') {
    const failures: LineFailure[] = body.lines.flatMap((line): LineFailure[] => {
      if (line.failure === undefined) return [];
      return line.failure.reason === 'UNKNOWN_SKU'
        ? [{ sku: line.sku, reason: 'UNKNOWN_SKU', requested: line.quantity }]
        : [
            {
              sku: line.sku,
              reason: 'INSUFFICIENT_STOCK',
              requested: line.quantity,
              available: line.failure.available ?? 0,
            },
          ];
    });
    return { outcome: 'FAILED', failures };
  }
  if (body.total === undefined) throw platformError('PLT_UNEXPECTED', 'a held reservation without its total');
  const total = body.total;
  return {
    outcome: 'RESERVED',
    lines: body.lines.map((line) => {
      if (line.unitPrice === undefined) throw platformError('PLT_UNEXPECTED', `held line ${line.sku} without a price`);
      return { sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice };
    }),
    total,
  };
}
