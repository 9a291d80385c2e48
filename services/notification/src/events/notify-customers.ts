/**
 * The `notifyCustomers` consumer: one e-mail, and one SMS when a phone is given, per order outcome.
 * Every event type the catalog routes here is handled; anything else is refused as poison
 * (NTF_UNEXPECTED_EVENT_TYPE, dead-lettered with the reason), never skipped: a type added to the outcome
 * topic without a template must be noticed, not silently lose its customers' notifications.
 */
import type { DecodedEvent } from '@shop/contracts';
import type { EventHandler } from '@shop/platform/events/catalog-consumer';
import { withLogContext } from '@shop/platform/logger';
import type { OutcomeEvent } from '../domain/outcome.ts';
import { planNotifications } from '../domain/plan-notifications.ts';
import { notificationError } from '../errors.ts';
import type { DeliverNotifications } from './deliver-notifications.ts';

/** The outcome event of `event`, or NTF_UNEXPECTED_EVENT_TYPE. */
export function toOutcomeEvent(event: DecodedEvent): OutcomeEvent {
  switch (event.type) {
    case 'OrderConfirmed':
      return { type: event.type, payload: event.payload };
    case 'OrderCancelled':
      return { type: event.type, payload: event.payload };
    default:
      throw notificationError(
        'NTF_UNEXPECTED_EVENT_TYPE',
        `${event.type} is not an order outcome the Notification Service knows how to tell customers about`,
        { details: { eventType: event.type } },
      );
  }
}

export function createNotifyCustomersHandler(deliver: DeliverNotifications): EventHandler {
  return async (event, context) => {
    const outcome = toOutcomeEvent(event);
    await withLogContext({ orderId: outcome.payload.orderId }, () =>
      deliver(planNotifications(outcome), {
        client: context.client,
        logger: context.logger,
        eventId: context.meta.eventId,
        correlationId: context.meta.correlationId,
      }),
    );
  };
}
