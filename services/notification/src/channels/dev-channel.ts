/**
 * The development channel: a stand-in provider that delivers into the service's own database (table
 * `dev_channel_messages`) instead of to a customer. It is the default for e-mail when no SMTP_URL is set,
 * and the only SMS channel today (no SMS provider is integrated yet; a real one implements the same
 * `NotificationChannel` port and passes the idempotency key to the provider's API).
 *
 * It behaves like a provider with idempotent sends, which is what lets tests prove "at most one delivery":
 * - its acceptance is durable on its own, outside the consumer's transaction (its own connection pool, so
 *   it also never competes with consumer transactions for the service's pool and cannot deadlock it);
 * - a re-send with a known idempotency key returns the first provider message id and delivers nothing new.
 */

import { classifyFailure, isAppError, type Pool, StatementBatcher } from '@shop/platform';
import {
  acceptIntoDevMailbox,
  type DevMailboxReceipt,
  type DevMailboxSubmission,
} from '../db/dev-mailbox-repository.ts';
import type { ChannelKind, NotificationChannel, OutboundMessage, SendOptions, SendReceipt } from '../domain/channel.ts';
import { notificationError } from '../errors.ts';

/** Connections of the development channel's own pool: it only runs single-statement inserts. */
export const DEV_CHANNEL_POOL_SIZE = 4;
/**
 * Sends one mailbox statement accepts at most. Concurrent sends share a statement (group commit): a busy
 * service's notifications cost one commit per batch, not one per message, which is how a provider's API
 * behaves under load (its cost is its own, not a commit on this machine per message).
 */
export const DEV_CHANNEL_MAX_PER_STATEMENT = 200;
/** Mailbox statements at once (the pool's size bounds it too). */
export const DEV_CHANNEL_MAX_IN_FLIGHT = 2;

export interface DevChannelOptions {
  kind: ChannelKind;
  /** The mailbox's own pool (not the service's: see the module comment). */
  pool: Pool;
  /** Added before every acceptance, to reproduce a slow provider. Default: 0. */
  latencyMs?: number;
  /** Share of sends (0 to 1) that fail with NTF_CHANNEL_UNAVAILABLE after the latency, accepting nothing. Default: 0. */
  failureRate?: number;
  /** Source of randomness for `failureRate`, in [0, 1). Default: Math.random. */
  random?: () => number;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createDevChannel(options: DevChannelOptions): NotificationChannel {
  const latencyMs = options.latencyMs ?? 0;
  const failureRate = options.failureRate ?? 0;
  const random = options.random ?? Math.random;
  const mailbox = new StatementBatcher<DevMailboxSubmission, DevMailboxReceipt>({
    maxPerBatch: DEV_CHANNEL_MAX_PER_STATEMENT,
    maxInFlight: DEV_CHANNEL_MAX_IN_FLIGHT,
    run: (submissions) => acceptIntoDevMailbox(options.pool, submissions),
    keyOf: (submission) => submission.key.toLowerCase(),
    // A statement refused for one message's sake (a value the table rejects) is retried message by message.
    retryAlone: (error) => classifyFailure(error).kind !== 'infrastructure',
  });
  return {
    kind: options.kind,
    provider: 'dev',
    async send(message: OutboundMessage, { idempotencyKey, signal }: SendOptions): Promise<SendReceipt> {
      try {
        if (latencyMs > 0) await delay(latencyMs, signal);
        if (signal.aborted) throw signal.reason;
        if (failureRate > 0 && random() < failureRate) {
          // Before the mailbox: like a provider that refused the call, nothing was accepted.
          throw notificationError(
            'NTF_CHANNEL_UNAVAILABLE',
            `development ${options.kind} channel: injected transient failure (DEV_CHANNEL_FAILURE_RATE)`,
          );
        }
        const receipt = await mailbox.submit({ key: idempotencyKey, message });
        return { providerMessageId: receipt.providerMessageId };
      } catch (error) {
        if (isAppError(error)) throw error;
        // The mailbox plays an external provider: its failures are the channel's, retried through the tiers.
        throw notificationError('NTF_CHANNEL_UNAVAILABLE', `development ${options.kind} channel failed`, {
          cause: error,
        });
      }
    },
  };
}
