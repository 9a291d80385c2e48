/**
 * The real e-mail channel: SMTP through nodemailer's pooled transport, configured by a URL
 * (`smtp://user:pass@host:587`, STARTTLS when the server offers it; `smtps://host:465` for implicit TLS).
 *
 * The idempotency key becomes the Message-ID (`<key@sender-domain>`), so a re-send after a lost
 * acknowledgement carries the same Message-ID as the first copy. SMTP itself has no idempotent submission:
 * the relay accepts both copies, and only receivers that de-duplicate by Message-ID (many mailbox stores
 * and list servers do, not all) show one. docs/design/notifications.md spells out this remaining window.
 */
import nodemailer from 'nodemailer';
import type { NotificationChannel, OutboundMessage, SendOptions, SendReceipt } from '../domain/channel.ts';
import { classifySmtpError } from './smtp-errors.ts';

/** Open SMTP connections: enough to keep up with a catch-up burst, few enough for one relay's limits. */
export const SMTP_MAX_CONNECTIONS = 5;
/** Messages per connection before it is replaced (long-lived sessions are where relays misbehave). */
export const SMTP_MAX_MESSAGES_PER_CONNECTION = 100;
/** TCP connect, greeting and inactivity bounds; the send timeout of the notifier bounds the whole call. */
export const SMTP_CONNECTION_TIMEOUT_MS = 3_000;
export const SMTP_GREETING_TIMEOUT_MS = 3_000;
export const SMTP_SOCKET_TIMEOUT_MS = 10_000;

export interface SmtpEmailChannelOptions {
  /** `smtp://` or `smtps://` URL with optional credentials. */
  url: string;
  /** The From header, e.g. `Shop <orders@shop.example>`. */
  from: string;
  /** Right-hand side of Message-IDs, normally the sender's domain. */
  messageIdDomain: string;
}

export interface SmtpEmailChannel extends NotificationChannel {
  close(): void;
}

/** The Message-ID of a notification: the idempotency key at our domain. */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  return `<${idempotencyKey}@${domain}>`;
}

export function createSmtpEmailChannel(options: SmtpEmailChannelOptions): SmtpEmailChannel {
  const transport = nodemailer.createTransport({
    pool: true,
    url: options.url,
    maxConnections: SMTP_MAX_CONNECTIONS,
    maxMessages: SMTP_MAX_MESSAGES_PER_CONNECTION,
    // A message whose connection dropped mid-send fails back to us instead of being re-queued silently:
    // the notifier's retry re-sends it with the same Message-ID and counts the attempt.
    maxRequeues: 0,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
  });
  return {
    kind: 'email',
    provider: 'smtp',
    async send(message: OutboundMessage, { idempotencyKey, signal }: SendOptions): Promise<SendReceipt> {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject ?? '',
          text: message.text,
          messageId: messageIdFor(idempotencyKey, options.messageIdDomain),
          headers: { 'X-Idempotency-Key': idempotencyKey },
          signal,
        });
        // SMTP assigns no id of its own beyond a relay's free-text queue id in the reply; the Message-ID is
        // what every hop and the recipient's mailbox know the message by.
        return { providerMessageId: info.messageId };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
