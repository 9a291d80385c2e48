/**
 * Notification metrics, registered on the service's registry (served at /metrics):
 * - `notifications_sent_total{channel,outcome}`: messages a provider accepted. In the crash window (see
 *   docs/design/notifications.md) a re-send is counted again; the provider's de-duplication is what
 *   keeps the customer from receiving it twice.
 * - `notifications_skipped_total{channel,outcome}`: notifications not sent because one was already
 *   recorded (another event for the same outcome, or a replay).
 * - `notification_send_failures_total{channel,code}`: failed provider calls by error code.
 * - `notification_send_duration_seconds{channel,result}`: provider call latency, failures and timeouts included.
 * - `notification_contacts_erased_total`: notifications whose contact data was erased after its retention.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ChannelKind } from './domain/channel.ts';
import type { OutcomeType } from './domain/outcome.ts';

/** Latency buckets in seconds, up to past the send timeout (a timed-out call lands in +Inf). */
export const SEND_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface NotificationMetrics {
  sent(channel: ChannelKind, outcome: OutcomeType): void;
  skipped(channel: ChannelKind, outcome: OutcomeType): void;
  failed(channel: ChannelKind, code: string): void;
  sendDuration(channel: ChannelKind, result: 'accepted' | 'failed', seconds: number): void;
  contactsErased(rows: number): void;
}

export function createNotificationMetrics(registry: Registry): NotificationMetrics {
  const sent = new Counter({
    name: 'notifications_sent_total',
    help: 'Notifications accepted by a provider, by channel and outcome event type',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const skipped = new Counter({
    name: 'notifications_skipped_total',
    help: 'Notifications not sent because one was already recorded for the order outcome and channel',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'notification_send_failures_total',
    help: 'Failed provider calls, by channel and error code',
    labelNames: ['channel', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'notification_send_duration_seconds',
    help: 'Time of one provider call, by channel and result',
    labelNames: ['channel', 'result'],
    buckets: SEND_DURATION_BUCKETS_S,
    registers: [registry],
  });
  const erased = new Counter({
    name: 'notification_contacts_erased_total',
    help: 'Notifications whose contact data (recipient) was erased after its retention',
    registers: [registry],
  });
  return {
    sent: (channel, outcome) => sent.inc({ channel, outcome }),
    skipped: (channel, outcome) => skipped.inc({ channel, outcome }),
    failed: (channel, code) => failures.inc({ channel, code }),
    sendDuration: (channel, result, seconds) => duration.observe({ channel, result }, seconds),
    contactsErased: (rows) => {
      if (rows > 0) erased.inc(rows);
    },
  };
}
