/**
 * The simulated gateway's decisions, as pure functions so they are deterministic and testable: whether
 * a charge is declined (a seeded hash of its idempotency key against the decline rate) and whether an
 * instant falls into a configured outage.
 */
import { createHash } from 'node:crypto';
import type { PAYMENT_DECLINE_REASONS } from '@shop/contracts';

export type PaymentDeclineReason = (typeof PAYMENT_DECLINE_REASONS)[number];

/** Reasons a card issuer gives; CHARGE_EXPIRED is the Payment Service's own and never comes from the gateway. */
export const SIMULATED_DECLINE_REASONS = [
  'INSUFFICIENT_FUNDS',
  'CARD_DECLINED',
  'SUSPECTED_FRAUD',
] as const satisfies readonly PaymentDeclineReason[];

/** What the simulated gateway decides for a new charge: capture, or decline with a reason. */
export type ChargeDecision = { kind: 'capture' } | { kind: 'decline'; reason: PaymentDeclineReason };

/** Largest value of the 32-bit slice of the hash used as a uniform draw. */
const UINT32_RANGE = 2 ** 32;

/**
 * Declines a share `declineRate` (0..1) of idempotency keys, the same keys for the same seed on every
 * run and every process: a uniform draw from SHA-256(seed:key), so the decision for a key never
 * changes (which is what a replay with the same key must see anyway).
 */
export function seededChargeDecision(seed: string, declineRate: number, idempotencyKey: string): ChargeDecision {
  const digest = createHash('sha256').update(`${seed}:${idempotencyKey}`).digest();
  const draw = digest.readUInt32BE(0) / UINT32_RANGE;
  if (draw >= declineRate) return { kind: 'capture' };
  const reason = SIMULATED_DECLINE_REASONS[digest.readUInt32BE(4) % SIMULATED_DECLINE_REASONS.length];
  return { kind: 'decline', reason: reason ?? 'CARD_DECLINED' };
}

/** An interval during which the gateway answers nothing (every call fails as unavailable). */
export interface OutageWindow {
  /** First instant of the outage (inclusive). */
  from: Date;
  /** End of the outage (exclusive). */
  until: Date;
}

export function inOutage(windows: readonly OutageWindow[], now: Date): boolean {
  const t = now.getTime();
  return windows.some((window) => t >= window.from.getTime() && t < window.until.getTime());
}

/**
 * The simulated gateway's decision: the listed customers' cards are always declined (CARD_DECLINED), like a
 * sandbox's test cards, so a declined payment can be shown on demand; any other charge gets the seeded draw.
 */
export function simulatedDecision(
  seed: string,
  declineRate: number,
  declinedCustomers: ReadonlySet<string>,
): (idempotencyKey: string, request: { customerId: string }) => ChargeDecision {
  return (key, request) =>
    declinedCustomers.has(request.customerId.toLowerCase())
      ? { kind: 'decline', reason: 'CARD_DECLINED' }
      : seededChargeDecision(seed, declineRate, key);
}
