/**
 * The order outcomes the Notification Service tells customers about. This list must equal the event
 * types the catalog routes to the `notifyCustomers` consumer (checked by a test against the topic
 * catalog): a type added to the outcome topic without a template here fails that test, instead of
 * being skipped in production.
 */
import type { EventPayload } from '@shop/contracts';

export const OUTCOME_EVENT_TYPES = ['OrderConfirmed', 'OrderCancelled'] as const;

/** An outcome event type, e.g. `'OrderConfirmed'`; stored as is in the notifications table. */
export type OutcomeType = (typeof OUTCOME_EVENT_TYPES)[number];

/** An outcome event as the consumer hands it to the domain: its type and its (latest-version) payload. */
export type OutcomeEvent =
  | { readonly type: 'OrderConfirmed'; readonly payload: EventPayload<'OrderConfirmed'> }
  | { readonly type: 'OrderCancelled'; readonly payload: EventPayload<'OrderCancelled'> };

export function isOutcomeType(type: string): type is OutcomeType {
  return (OUTCOME_EVENT_TYPES as readonly string[]).includes(type);
}
