/**
 * The port to a payment gateway. The Payment Service depends on this interface only; the simulated
 * gateway implements it, and a real one can be plugged in behind it (see createPaymentService).
 *
 * Contract every implementation keeps:
 * - Idempotency: a call with an idempotency key already used returns the first call's result and moves
 *   no money again, whatever happened to the caller in between (timeouts, crashes, lost commits).
 * - A decline is a result (`outcome: 'DECLINED'`), not an error: nothing was captured.
 * - An error (thrown) means "unknown or not done": the caller retries with the same key. Errors are
 *   AppErrors; `retryable` says whether a retry can help.
 * - Refunds of one charge never total more than was captured; a refund of a charge that captured
 *   nothing (declined or unknown) returns amount 0.
 */
import type { Money } from '@shop/contracts';
import type { PaymentDeclineReason } from '../domain/simulated-decision.ts';

export interface ChargeRequest {
  customerId: string;
  amount: Money;
}

export type ChargeResult =
  | { outcome: 'CAPTURED'; reference: string; amount: Money }
  | { outcome: 'DECLINED'; reason: PaymentDeclineReason; message: string };

export interface RefundRequest {
  /** Idempotency key of the charge to refund. */
  chargeKey: string;
  /** Most to refund; the gateway refunds at most what is left of the capture. */
  amount: Money;
}

export interface RefundResult {
  reference: string;
  /** What was actually refunded (0 when nothing was left to refund). */
  amount: Money;
}

export interface IdempotencyOptions {
  idempotencyKey: string;
}

export interface PaymentProvider {
  authorizeAndCapture(request: ChargeRequest, options: IdempotencyOptions): Promise<ChargeResult>;
  refund(request: RefundRequest, options: IdempotencyOptions): Promise<RefundResult>;
  /**
   * The result of an earlier charge with this key, if the gateway has one; never charges. Lets the
   * service answer truthfully for an expired command whose capture happened before the expiry.
   */
  findCharge(idempotencyKey: string): Promise<ChargeResult | undefined>;
}
