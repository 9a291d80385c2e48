/**
 * A simulated payment gateway that behaves like a real one where it matters to the Payment Service:
 * idempotency keys (same key, same result, one capture), declines distinct from errors, refunds bounded
 * by the capture, configurable decline rate, latency and outage windows, deterministic decisions.
 *
 * Its state lives in the `simulated_provider_*` tables of the payments database, written on its own
 * connections and committed on their own, never in the caller's transaction: a real gateway's capture
 * does not roll back when the caller's database transaction does, and the simulation must not either
 * (that is the case the idempotency key exists for). A restart therefore forgets nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Money } from '@shop/contracts';
import { classifyFailure, isAppError, type Pool, StatementBatcher } from '@shop/platform';
import type { QueryResult, QueryResultRow } from 'pg';
import { DECLINE_MESSAGES } from '../domain/decline-messages.ts';
import {
  type ChargeDecision,
  inOutage,
  type OutageWindow,
  type PaymentDeclineReason,
  seededChargeDecision,
} from '../domain/simulated-decision.ts';
import { paymentError } from '../errors.ts';
import type {
  ChargeRequest,
  ChargeResult,
  IdempotencyOptions,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider.ts';

/** Default seed of the decline decisions. */
export const DEFAULT_SIMULATED_SEED = 'simulated-provider';

export interface SimulatedProviderOptions {
  /** Share of new charges declined, 0..1. Default: 0. */
  declineRate?: number;
  /** Seed of the decline decisions (same seed and key, same decision). Default: DEFAULT_SIMULATED_SEED. */
  seed?: string;
  /** Added to every call before it is handled, like a network round trip. Default: 0. */
  latencyMs?: number;
  /** Intervals during which every call fails with PAY_PROVIDER_UNAVAILABLE. Default: none. */
  outages?: readonly OutageWindow[];
  /** Replaces the seeded decision (tests deciding per order). Default: seededChargeDecision(seed, declineRate). */
  decide?: (idempotencyKey: string, request: ChargeRequest) => ChargeDecision;
  /** The clock, for outage windows. Default: the system clock. */
  now?: () => Date;
}

interface ChargeRow {
  idempotency_key: string;
  customer_id: string;
  amount_minor: string;
  currency: string;
  outcome: 'CAPTURED' | 'DECLINED';
  decline_reason: PaymentDeclineReason | null;
  reference: string;
}

interface RefundRow {
  idempotency_key: string;
  charge_key: string;
  amount_minor: string;
  currency: string;
  reference: string;
}

/** A charge as the gateway is asked for it, with the decision it takes. */
interface NewCharge {
  readonly idempotencyKey: string;
  readonly request: ChargeRequest;
  readonly decision: ChargeDecision;
}

/**
 * Charges one gateway statement stores at most. Concurrent charges share a statement (group commit), as a
 * gateway's own store would under load: the simulation should not cost this machine a commit per charge.
 */
export const SIMULATED_CHARGES_PER_STATEMENT = 200;
export const SIMULATED_STATEMENTS_IN_FLIGHT = 2;

export class SimulatedPaymentProvider implements PaymentProvider {
  readonly #pool: Pool;
  readonly #charges: StatementBatcher<NewCharge, ChargeRow | undefined>;
  readonly #decide: (idempotencyKey: string, request: ChargeRequest) => ChargeDecision;
  readonly #latencyMs: number;
  readonly #outages: OutageWindow[];
  readonly #now: () => Date;

  constructor(pool: Pool, options: SimulatedProviderOptions = {}) {
    const seed = options.seed ?? DEFAULT_SIMULATED_SEED;
    const declineRate = options.declineRate ?? 0;
    this.#pool = pool;
    this.#charges = new StatementBatcher({
      maxPerBatch: SIMULATED_CHARGES_PER_STATEMENT,
      maxInFlight: SIMULATED_STATEMENTS_IN_FLIGHT,
      run: (charges) => this.#storeCharges(charges),
      keyOf: (charge) => charge.idempotencyKey,
      retryAlone: (error) => classifyFailure(error).kind !== 'infrastructure',
    });
    this.#decide = options.decide ?? ((key) => seededChargeDecision(seed, declineRate, key));
    this.#latencyMs = options.latencyMs ?? 0;
    this.#outages = [...(options.outages ?? [])];
    this.#now = options.now ?? (() => new Date());
  }

  /** Adds an outage window at run time (fault injection in tests and demos). */
  addOutage(window: OutageWindow): void {
    this.#outages.push(window);
  }

  async authorizeAndCapture(request: ChargeRequest, { idempotencyKey }: IdempotencyOptions): Promise<ChargeResult> {
    await this.#enter('authorizeAndCapture');
    const decision = this.#decide(idempotencyKey, request);
    const stored = await this.#charges.submit({ idempotencyKey, request, decision });
    const row = stored ?? (await this.#chargeRow('authorizeAndCapture', idempotencyKey));
    if (row === undefined) throw paymentError('PAY_PROVIDER_UNAVAILABLE', `Charge ${idempotencyKey} vanished`);
    if (
      row.customer_id !== request.customerId ||
      Number(row.amount_minor) !== request.amount.amountMinor ||
      row.currency !== request.amount.currency
    ) {
      throw paymentError('PAY_IDEMPOTENCY_CONFLICT', `Idempotency key ${idempotencyKey} was used for another charge`, {
        details: { idempotencyKey },
      });
    }
    return chargeResult(row);
  }

  /**
   * First writer wins: a concurrent or repeated call with a key gets the stored result instead. One statement
   * for the batch: the inserts, or else the rows already there. When a concurrent first call commits while
   * this insert waits on its key, the row is newer than this statement's snapshot and comes back from
   * neither branch (undefined here); the caller's separate read then sees it.
   */
  async #storeCharges(charges: readonly NewCharge[]): Promise<Array<ChargeRow | undefined>> {
    const result = await this.#query<ChargeRow>(
      'authorizeAndCapture',
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS i(idempotency_key, customer_id, amount_minor, currency, outcome, decline_reason, reference)
       ), inserted AS (
         INSERT INTO simulated_provider_charges
           (idempotency_key, customer_id, amount_minor, currency, outcome, decline_reason, reference)
         SELECT * FROM input
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING *
       )
       SELECT * FROM inserted
       UNION ALL
       SELECT c.* FROM simulated_provider_charges c JOIN input i ON i.idempotency_key = c.idempotency_key
       WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE x.idempotency_key = c.idempotency_key)`,
      [
        charges.map((c) => c.idempotencyKey),
        charges.map((c) => c.request.customerId),
        charges.map((c) => c.request.amount.amountMinor),
        charges.map((c) => c.request.amount.currency),
        charges.map((c) => (c.decision.kind === 'capture' ? 'CAPTURED' : 'DECLINED')),
        charges.map((c) => (c.decision.kind === 'decline' ? c.decision.reason : null)),
        charges.map(() => `ch_${randomUUID()}`),
      ],
    );
    const byKey = new Map(result.rows.map((row) => [row.idempotency_key, row]));
    return charges.map((c) => byKey.get(c.idempotencyKey));
  }

  async findCharge(idempotencyKey: string): Promise<ChargeResult | undefined> {
    await this.#enter('findCharge');
    const row = await this.#chargeRow('findCharge', idempotencyKey);
    return row === undefined ? undefined : chargeResult(row);
  }

  async refund(request: RefundRequest, { idempotencyKey }: IdempotencyOptions): Promise<RefundResult> {
    await this.#enter('refund');
    // One statement. The charge row's lock serialises refunds of one charge, and after waiting for it the
    // row is read at its latest version, refunded total included, so two refunds cannot both see the same
    // remainder and together return more than was captured. A repeated key is answered from its row; one
    // committed by a concurrent call while this one waited is newer than the statement's snapshot, so the
    // insert finds the conflict, writes nothing, and the separate read below returns it.
    const result = await this.#query<RefundRow & { kind: 'inserted' | 'existing' | 'mismatch' }>(
      'refund',
      `WITH existing AS (
         SELECT * FROM simulated_provider_refunds WHERE idempotency_key = $1
       ), charge AS (
         SELECT outcome, currency, amount_minor - refunded_minor AS left_minor
         FROM simulated_provider_charges WHERE idempotency_key = $2 FOR UPDATE
       ), mismatch AS (
         SELECT currency FROM charge WHERE outcome = 'CAPTURED' AND currency <> $4
       ), decided AS (
         SELECT CASE WHEN charge.outcome = 'CAPTURED' THEN GREATEST(0, LEAST(charge.left_minor, $3::bigint)) ELSE 0 END
                  AS amount_minor
         FROM (SELECT 1) AS one LEFT JOIN charge ON true
         WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM mismatch)
       ), inserted AS (
         INSERT INTO simulated_provider_refunds (idempotency_key, charge_key, amount_minor, currency, reference)
         SELECT $1, $2, amount_minor, $4, $5 FROM decided
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING *
       ), counted AS (
         UPDATE simulated_provider_charges c SET refunded_minor = c.refunded_minor + i.amount_minor
         FROM inserted i WHERE c.idempotency_key = $2 AND i.amount_minor > 0
       )
       SELECT 'inserted' AS kind, idempotency_key, charge_key, amount_minor, currency, reference FROM inserted
       UNION ALL
       SELECT 'existing', idempotency_key, charge_key, amount_minor, currency, reference FROM existing
       UNION ALL
       SELECT 'mismatch', NULL, NULL, NULL, currency, NULL FROM mismatch`,
      [idempotencyKey, request.chargeKey, request.amount.amountMinor, request.amount.currency, `re_${randomUUID()}`],
    );
    const row = result.rows.find((candidate) => candidate.kind !== 'mismatch');
    const mismatch = result.rows.find((candidate) => candidate.kind === 'mismatch');
    if (row === undefined && mismatch !== undefined) {
      throw paymentError(
        'PAY_CURRENCY_MISMATCH',
        `Refund in ${request.amount.currency} of a charge in ${mismatch.currency}`,
      );
    }
    const stored =
      row ??
      (
        await this.#query<RefundRow>('refund', 'SELECT * FROM simulated_provider_refunds WHERE idempotency_key = $1', [
          idempotencyKey,
        ])
      ).rows[0];
    if (stored === undefined) throw paymentError('PAY_PROVIDER_UNAVAILABLE', `Refund ${idempotencyKey} vanished`);
    return refundResult(stored);
  }

  /** Latency first, then the outage check: like a gateway that times out rather than refusing at once. */
  async #enter(operation: string): Promise<void> {
    if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
    if (inOutage(this.#outages, this.#now())) {
      throw paymentError('PAY_PROVIDER_UNAVAILABLE', `Simulated gateway outage during ${operation}`);
    }
  }

  async #chargeRow(operation: string, idempotencyKey: string): Promise<ChargeRow | undefined> {
    const result = await this.#query<ChargeRow>(
      operation,
      'SELECT * FROM simulated_provider_charges WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return result.rows[0];
  }

  /**
   * The gateway's store plays an external system, so its failures are the gateway's: retryable
   * PAY_PROVIDER_UNAVAILABLE. No connection to it at all (the server down, its pool exhausted past the
   * connect timeout or closed: PLT_POSTGRES_UNREACHABLE) stays an infrastructure error, which the consumer
   * retries in place: the store shares our own PostgreSQL server, and neither dead-letters a charge.
   */
  async #query<R extends QueryResultRow>(operation: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      if (isAppError(error) || classifyFailure(error).kind === 'infrastructure') throw error;
      throw paymentError('PAY_PROVIDER_UNAVAILABLE', `Simulated gateway failed during ${operation}`, { cause: error });
    }
  }
}

function chargeResult(row: ChargeRow): ChargeResult {
  if (row.outcome === 'CAPTURED') {
    return { outcome: 'CAPTURED', reference: row.reference, amount: money(row.amount_minor, row.currency) };
  }
  const reason = row.decline_reason ?? 'CARD_DECLINED';
  return { outcome: 'DECLINED', reason, message: DECLINE_MESSAGES[reason] };
}

function refundResult(row: RefundRow): RefundResult {
  return { reference: row.reference, amount: money(row.amount_minor, row.currency) };
}

function money(amountMinor: string, currency: string): Money {
  return { amountMinor: Number(amountMinor), currency };
}
