/**
 * Delivers the planned notifications of one outcome event, inside the consumer's transaction.
 *
 * Exactly one notification per (order, outcome, channel) rests on three things:
 * 1. the notifications table's primary key, checked under a per-notification lock before any send, so a
 *    notification recorded as 'sent' is never sent again, whichever event, replay or instance asks;
 * 2. the 'sent' record written in the consumer's transaction, which also holds the inbox row: both commit
 *    or neither does;
 * 3. the deterministic idempotency key given to the provider, so a send repeated because its record was
 *    lost (crash or failure between the provider's acceptance and our commit) is recognisable as the same
 *    message.
 *
 * When a channel fails, the event is retried (retry tiers) or dead-lettered by the runner, which rolls the
 * consumer's transaction back. The attempts of this event are then recorded in a separate transaction
 * first: a channel that did get its message accepted is marked 'sent', so the retry does not send it again
 * (an SMS outage must not turn into one e-mail per retry), and the failing one is marked 'failed' with its
 * error, for the API and operators.
 */
import type { Pool, PoolClient } from '@shop/platform/db/pool';
import { inTransaction } from '@shop/platform/db/pool';
import type { AppError } from '@shop/platform/errors';
import type { Logger } from '@shop/platform/logger';
import { sendWithTimeout } from '../channels/send-with-timeout.ts';
import {
  type AttemptSource,
  findNotificationStatuses,
  lockNotifications,
  recordFailed,
  recordSent,
  recordSentMany,
} from '../db/notification-repository.ts';
import type { ChannelKind, NotificationChannel } from '../domain/channel.ts';
import type { PlannedNotification } from '../domain/plan-notifications.ts';
import { isNotificationError, notificationError } from '../errors.ts';
import type { NotificationMetrics } from '../metrics.ts';

/** The channel used for each kind of notification. */
export type NotificationChannels = Readonly<Record<ChannelKind, NotificationChannel>>;

export interface NotificationDelivererOptions {
  channels: NotificationChannels;
  /** The service's pool, for recording attempts that must survive the consumer's rollback. */
  pool: Pool;
  metrics: NotificationMetrics;
  /** Bound on one provider call. */
  sendTimeoutMs: number;
}

/** What the deliverer needs from the consumer: its open transaction and the event's identity. */
export interface DeliveryContext {
  client: PoolClient;
  logger: Logger;
  eventId: string;
  correlationId: string | undefined;
}

export type DeliverNotifications = (planned: readonly PlannedNotification[], context: DeliveryContext) => Promise<void>;

interface Accepted {
  planned: PlannedNotification;
  source: AttemptSource;
  providerMessageId: string;
}

interface Failed {
  planned: PlannedNotification;
  source: AttemptSource;
  error: AppError;
}

/**
 * A channel's failure as a Notification Service error. A channel that throws something else (a provider
 * SDK's own error) gets NTF_CHANNEL_FAILED, retryable: in particular a provider's ECONNREFUSED must not
 * be mistaken for our own infrastructure being down, which would pause the consumer in place.
 */
function asChannelError(error: unknown, channel: NotificationChannel): AppError {
  if (isNotificationError(error)) return error;
  return notificationError(
    'NTF_CHANNEL_FAILED',
    `${channel.provider} ${channel.kind} channel failed: ${String(error)}`,
    {
      cause: error,
    },
  );
}

/** The error the event fails with: a retryable one when any channel may still succeed, so it gets its retries. */
function eventError(failures: readonly Failed[]): AppError {
  const chosen = failures.find((failure) => failure.error.retryable) ?? failures[0];
  if (chosen === undefined) throw new Error('eventError needs at least one failure');
  return chosen.error;
}

export function createNotificationDeliverer(options: NotificationDelivererOptions): DeliverNotifications {
  const { channels, metrics, pool, sendTimeoutMs } = options;

  async function recordAttemptsBeforeRollback(
    accepted: readonly Accepted[],
    failed: readonly Failed[],
    logger: Logger,
  ): Promise<void> {
    try {
      await inTransaction(pool, async (client) => {
        for (const item of accepted) await recordSent(client, item.planned, item.source, item.providerMessageId);
        for (const item of failed) await recordFailed(client, item.planned, item.source, item.error);
      });
    } catch (error) {
      // The event still fails with its channel error below and is retried; without these records the retry
      // re-sends the accepted messages with their idempotency keys: the documented window, not a loss.
      logger.error(
        { err: error, keys: accepted.map((item) => item.planned.key) },
        'could not record notification attempts before the retry; accepted messages will be re-sent with the same key',
      );
    }
  }

  async function send(item: PlannedNotification, source: AttemptSource, logger: Logger): Promise<Accepted | Failed> {
    const channel = channels[item.channel];
    const started = performance.now();
    try {
      const receipt = await sendWithTimeout(channel, item.message, item.key, sendTimeoutMs);
      metrics.sendDuration(item.channel, 'accepted', (performance.now() - started) / 1_000);
      metrics.sent(item.channel, item.outcome);
      logger.debug(
        { key: item.key, channel: item.channel, providerMessageId: receipt.providerMessageId },
        'notification accepted by the provider',
      );
      return { planned: item, source, providerMessageId: receipt.providerMessageId };
    } catch (error) {
      const failure = asChannelError(error, channel);
      metrics.sendDuration(item.channel, 'failed', (performance.now() - started) / 1_000);
      metrics.failed(item.channel, failure.code);
      return { planned: item, source, error: failure };
    }
  }

  return async function deliverNotifications(planned, context) {
    // Locks in one global order (by key), so two handlers of overlapping notifications never wait in a cycle.
    const keys = planned.map((item) => item.key);
    await lockNotifications(context.client, keys);
    const statuses = await findNotificationStatuses(context.client, keys);
    const toSend: PlannedNotification[] = [];
    for (const item of planned) {
      if (statuses.get(item.key.toLowerCase()) === 'sent') {
        metrics.skipped(item.channel, item.outcome);
        context.logger.debug({ key: item.key, channel: item.channel }, 'notification already sent; skipped');
      } else {
        toSend.push(item);
      }
    }
    // Channels are independent providers: sending them concurrently halves the time the transaction (and
    // the partition behind it) waits when both are slow.
    const outcomes = await Promise.all(
      toSend.map((item) =>
        send(
          item,
          { eventId: context.eventId, correlationId: context.correlationId, provider: channels[item.channel].provider },
          context.logger,
        ),
      ),
    );
    const accepted = outcomes.filter((outcome): outcome is Accepted => 'providerMessageId' in outcome);
    const failed = outcomes.filter((outcome): outcome is Failed => 'error' in outcome);
    if (failed.length > 0) {
      await recordAttemptsBeforeRollback(accepted, failed, context.logger);
      throw eventError(failed);
    }
    await recordSentMany(context.client, accepted);
  };
}
