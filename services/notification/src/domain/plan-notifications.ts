/**
 * Decides what one outcome event means for the customer: one e-mail always, one SMS when the contact has
 * a phone, each with its deterministic idempotency key. Pure: the same event always yields the same plan.
 */
import type { ChannelKind, OutboundMessage } from './channel.ts';
import { notificationKey } from './notification-key.ts';
import type { OutcomeEvent, OutcomeType } from './outcome.ts';
import { renderMessage } from './templates.ts';

/** One notification to deliver. Its identity is (orderId, outcome, channel); `key` is derived from it. */
export interface PlannedNotification {
  readonly key: string;
  readonly orderId: string;
  readonly outcome: OutcomeType;
  readonly channel: ChannelKind;
  readonly message: OutboundMessage;
}

/** The notifications for `event`: the e-mail, then the SMS when the contact has a phone. */
export function planNotifications(event: OutcomeEvent): PlannedNotification[] {
  const { orderId, contact } = event.payload;
  const recipients: Array<[ChannelKind, string]> = [['email', contact.email]];
  if (contact.phone !== undefined) recipients.push(['sms', contact.phone]);
  return recipients.map(([channel, to]) => ({
    key: notificationKey(orderId, event.type, channel),
    orderId,
    outcome: event.type,
    channel,
    message: { ...renderMessage(event, channel), to },
  }));
}
