/**
 * deliverNotifications (use case): delivers the planned notifications of a batch of outcome events, inside
 * the batch's transaction (opened by the consumer runner with its inbox rows; events/notify-customers.ts
 * plans them and hands them over).
 *
 * Exactly one notification per (order, outcome, channel) rests on three things:
 * 1. the notifications table's primary key, checked under a per-notification lock before any send (one
 *    statement locks every notification of the batch and reads their statuses), so a notification recorded
 *    as 'sent' is never sent again, whichever event, replay, split batch or instance asks;
 * 2. the 'sent' records written in the batch's transaction (one statement), which also holds the inbox rows:
 *    both commit or neither does;
 * 3. the deterministic idempotency key given to the provider, so a send repeated because its record was
 *    lost (crash or failure between the provider's acceptance and our commit) is recognisable as the same
 *    message.
 *
 * A notification planned by several items of one batch (the same outcome under two event ids) is sent for
 * the first of them only. Sends run concurrently, at most SEND_CONCURRENCY at once.
 *
 * When a channel fails, the batch's transaction will roll back. Every attempt of the batch is therefore
 * recorded in a separate transaction first: a notification whose message was accepted is marked 'sent', and
 * the failing one 'failed' with its error, for the API and operators. Then `BatchItemError` names the first
 * item that failed; the runner re-runs the items before it and after it without it, and the failing item
 * alone. Invariant: no channel is called twice for a notification because of that split or re-run, since
 * the re-runs find every accepted notification 'sent' and skip it (an SMS outage must not turn into one
 * e-mail per retry, nor one per split). The failing item's own accepted channels are skipped the same way
 * when it is retried.
 */
import {
  type AppError,
  BatchItemError,
  classifyFailure,
  inTransaction,
  type Logger,
  type Pool,
  type PoolClient,
  withLogContext,
} from '@shop/platform';
import { sendWithTimeout } from '../channels/send-with-timeout.ts';
import {
  type AttemptSource,
  lockNotificationStatuses,
  recordFailedMany,
  recordSentMany,
} from '../db/notification-repository.ts';
import type { ChannelKind, NotificationChannel } from '../domain/channel.ts';
import type { PlannedNotification } from '../domain/plan-notifications.ts';
import { isNotificationError, notificationError } from '../errors.ts';
import type { NotificationMetrics } from '../metrics.ts';

/**
 * Most provider calls of one batch in flight at once: enough to overlap providers' latency, few enough
 * not to flood one provider from one batch. It also sizes what a provider that batches calls (the
 * development channel's mailbox statement, see dev-channel.ts) can merge: at 8, a batch of 160
 * notifications at 500 orders/s cost the mailbox 0.77 statements (each a commit) per order, two rows each.
 */
export const SEND_CONCURRENCY = 32;

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

/** What the deliverer needs from the consumer: the batch's open transaction. */
export interface DeliveryContext {
  client: PoolClient;
  logger: Logger;
}

/** The notifications one item (outcome event) of the batch asks for. */
export interface DeliveryItem {
  /** The item's `BatchItem.index`, named by `BatchItemError` when one of its sends fails. */
  index: number;
  planned: readonly PlannedNotification[];
  eventId: string;
  correlationId: string | undefined;
}

/**
 * Delivers every item's notifications; returns when all of them are sent and recorded on the transaction,
 * throws `BatchItemError` for the first item with a failed send (after recording the batch's attempts).
 */
export type DeliverNotifications = (items: readonly DeliveryItem[], context: DeliveryContext) => Promise<void>;

interface Accepted {
  index: number;
  planned: PlannedNotification;
  source: AttemptSource;
  providerMessageId: string;
}

interface Failed {
  index: number;
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

/** The error an item fails with: a retryable one when any of its channels may still succeed, so it gets its retries. */
function eventError(failures: readonly Failed[]): AppError {
  const chosen = failures.find((failure) => failure.error.retryable) ?? failures[0];
  if (chosen === undefined) throw new Error('eventError needs at least one failure');
  return chosen.error;
}

export function createNotificationDeliverer(options: NotificationDelivererOptions): DeliverNotifications {
  const { channels, metrics, pool, sendTimeoutMs } = options;

  /**
   * Records the batch's attempts on their own transaction, before the batch's rolls back. When that fails,
   * the accepted messages will be re-sent with their idempotency keys: the documented window, not a loss.
   * An infrastructure failure is thrown (our database is down: the batch is retried in place rather than
   * split); any other one is logged and the item's channel error stands.
   */
  async function recordAttemptsBeforeRollback(
    accepted: readonly Accepted[],
    failed: readonly Failed[],
    logger: Logger,
  ): Promise<void> {
    try {
      await inTransaction(pool, async (client) => {
        await recordSentMany(client, accepted);
        await recordFailedMany(client, failed);
      });
    } catch (error) {
      logger.error(
        { err: error, keys: accepted.map((item) => item.planned.key) },
        'could not record notification attempts before the retry; accepted messages will be re-sent with the same key',
      );
      if (classifyFailure(error).kind === 'infrastructure') throw error;
    }
  }

  async function send(work: Pending, logger: Logger): Promise<Accepted | Failed> {
    const { index, planned: item, source } = work;
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
      return { index, planned: item, source, providerMessageId: receipt.providerMessageId };
    } catch (error) {
      const failure = asChannelError(error, channel);
      metrics.sendDuration(item.channel, 'failed', (performance.now() - started) / 1_000);
      metrics.failed(item.channel, failure.code);
      return { index, planned: item, source, error: failure };
    }
  }

  return async function deliverNotifications(items, context) {
    const keys = items.flatMap((item) => item.planned.map((planned) => planned.key));
    const statuses = await lockNotificationStatuses(context.client, keys);
    const pending: Pending[] = [];
    const claimed = new Set<string>();
    for (const item of items) {
      for (const planned of item.planned) {
        const key = planned.key.toLowerCase();
        if (statuses.get(key) === 'sent' || claimed.has(key)) {
          metrics.skipped(planned.channel, planned.outcome);
          context.logger.debug({ key: planned.key, channel: planned.channel }, 'notification already sent; skipped');
          continue;
        }
        claimed.add(key);
        const source = {
          eventId: item.eventId,
          correlationId: item.correlationId,
          provider: channels[planned.channel].provider,
        };
        pending.push({ index: item.index, planned, source });
      }
    }
    // Each send logs with its order and event, as a per-event handler would.
    const outcomes = await mapBounded(pending, SEND_CONCURRENCY, (work) =>
      withLogContext(
        { orderId: work.planned.orderId, eventId: work.source.eventId, correlationId: work.source.correlationId },
        () => send(work, context.logger),
      ),
    );
    const accepted = outcomes.filter((outcome): outcome is Accepted => 'providerMessageId' in outcome);
    const failed = outcomes.filter((outcome): outcome is Failed => 'error' in outcome);
    if (failed.length > 0) {
      await recordAttemptsBeforeRollback(accepted, failed, context.logger);
      const first = Math.min(...failed.map((failure) => failure.index));
      throw new BatchItemError(first, eventError(failed.filter((failure) => failure.index === first)));
    }
    await recordSentMany(context.client, accepted);
  };
}

/** A notification to send for one item of the batch. */
interface Pending {
  index: number;
  planned: PlannedNotification;
  source: AttemptSource;
}

/** `work` for every entry, at most `limit` at once; results in entry order. `work` must not throw. */
async function mapBounded<T, R>(entries: readonly T[], limit: number, work: (entry: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const at = next++;
      results[at] = await work(entries[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, entries.length) }, worker));
  return results;
}
