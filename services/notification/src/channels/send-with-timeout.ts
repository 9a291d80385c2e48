/**
 * Bounds one provider call. The consumer's database transaction (and its connection, and the partition
 * behind it) is open while a channel sends, so a provider that hangs must not hold them: after
 * CHANNEL_SEND_TIMEOUT_MS the call is abandoned with a retryable NTF_CHANNEL_TIMEOUT and the channel is
 * told to stop through the abort signal.
 *
 * A timed-out call may still have been accepted by the provider: the outcome is unknown, which is exactly
 * the crash window of docs/design/notifications.md, closed by re-sending with the same idempotency key.
 */
import { withDeadline } from '@shop/platform';
import type { NotificationChannel, OutboundMessage, SendReceipt } from '../domain/channel.ts';
import { notificationError } from '../errors.ts';

/**
 * Longest one provider call may take. An SMTP relay or SMS API answers in well under a second when
 * healthy; 5 s tolerates a slow one. An event's channels are sent concurrently, so this is also the
 * longest an event holds its transaction (and its partition) waiting for providers.
 */
export const CHANNEL_SEND_TIMEOUT_MS = 5_000;

export function sendWithTimeout(
  channel: NotificationChannel,
  message: OutboundMessage,
  idempotencyKey: string,
  timeoutMs: number = CHANNEL_SEND_TIMEOUT_MS,
): Promise<SendReceipt> {
  // When the timeout wins, the channel's own late failure (usually its abort error) has nobody left to
  // report to: the timeout error already carries the outcome (withDeadline observes and drops it).
  return withDeadline((signal) => channel.send(message, { idempotencyKey, signal }), {
    timeoutMs,
    onTimeout: () =>
      notificationError(
        'NTF_CHANNEL_TIMEOUT',
        `${channel.provider} ${channel.kind} channel did not answer within ${timeoutMs} ms`,
      ),
  });
}
