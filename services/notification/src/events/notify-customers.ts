/**
 * The `notifyCustomers` consumer: one e-mail, and one SMS when a phone is given, per order outcome, a
 * fetched batch at a time (see app/deliver-notifications.ts for how a batch is sent and recorded).
 * Every event type the catalog routes here is handled; anything else is rejected as poison
 * (NTF_UNEXPECTED_EVENT_TYPE, dead-lettered with the reason), never skipped: a type added to the outcome
 * topic without a template must be noticed, not silently lose its customers' notifications.
 */
import type { DecodedEvent } from '@shop/contracts';
import type { EventBatchHandler, Rejection } from '@shop/platform';
import type { DeliverNotifications, DeliveryItem } from '../app/deliver-notifications.ts';
import type { OutcomeEvent } from '../domain/outcome.ts';
import { planNotifications } from '../domain/plan-notifications.ts';
import { notificationError } from '../errors.ts';

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

export function createNotifyCustomersHandler(deliver: DeliverNotifications): EventBatchHandler {
  return async (items, { client, logger }) => {
    const rejected: Rejection[] = [];
    const deliveries: DeliveryItem[] = [];
    for (const item of items) {
      let outcome: OutcomeEvent;
      try {
        outcome = toOutcomeEvent(item.event);
      } catch (error) {
        rejected.push({ index: item.index, error });
        continue;
      }
      deliveries.push({
        index: item.index,
        planned: planNotifications(outcome),
        eventId: item.meta.eventId,
        correlationId: item.meta.correlationId,
      });
    }
    if (deliveries.length > 0) await deliver(deliveries, { client, logger });
    return rejected.length === 0 ? {} : { rejected };
  };
}
