/**
 * The port every delivery channel implements (SMTP, the development channel, a future SMS provider).
 * Pure types: the domain decides what to send; adapters in `src/channels/` decide how.
 */

/** The ways a customer is reached. One notification per order outcome per channel. */
export const CHANNEL_KINDS = ['email', 'sms'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** One rendered message, ready for a provider. */
export interface OutboundMessage {
  readonly channel: ChannelKind;
  /** E-mail address or E.164 phone number. */
  readonly to: string;
  /** E-mail subject; absent for SMS. */
  readonly subject?: string;
  /** Plain-text body. */
  readonly text: string;
}

export interface SendOptions {
  /**
   * Deterministic per (order, outcome, channel): a re-send after a lost acknowledgement carries the same
   * key, so a provider that de-duplicates by it delivers at most once (see docs/design/notifications.md).
   */
  readonly idempotencyKey: string;
  /** Aborted when the caller's send timeout expires; the channel should stop waiting for the provider. */
  readonly signal: AbortSignal;
}

/** What the provider returned when it accepted the message. */
export interface SendReceipt {
  /** The provider's id for the message; the same id again when it recognised a re-sent idempotency key. */
  readonly providerMessageId: string;
}

/**
 * A delivery channel. Contract:
 * - resolves only once the provider has accepted the message (it is then out of our hands);
 * - rejects with an `AppError` whose `retryable` says whether the same message may be accepted later
 *   (timeout, provider down: true; recipient rejected for good: false);
 * - may be called again with the same idempotency key after a failure or a crash, and must not turn that
 *   into a second delivery where the provider supports de-duplication.
 */
export interface NotificationChannel {
  readonly kind: ChannelKind;
  /** Provider name recorded with each notification, e.g. `smtp`, `dev`. */
  readonly provider: string;
  send(message: OutboundMessage, options: SendOptions): Promise<SendReceipt>;
}
