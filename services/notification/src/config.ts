/**
 * The Notification Service's own settings, read once at boot (platform settings such as PORT and
 * DATABASE_NAME are read by the platform). No SMTP_URL means the development channel: nothing leaves the
 * machine, and what would have been sent is stored in the service's database.
 */
import { type Env, loadEnv } from '@shop/platform';
import Type from 'typebox';

/** `Display Name <local@domain>` or `local@domain`; the domain part is captured for the Message-ID. */
export const FROM_ADDRESS_PATTERN = '^(?:[^<>]*<)?[^\\s@<>]+@([A-Za-z0-9.-]+)>?$';

/** Longest simulated provider latency: a scenario knob, not a way to stall the service for good. */
export const MAX_DEV_CHANNEL_LATENCY_MS = 60_000;
/**
 * Highest injected failure rate. Below 1 so that every message still gets through within the retry tiers
 * most of the time: the knob reproduces a flaky provider, not an outage (stop the service for that).
 */
export const MAX_DEV_CHANNEL_FAILURE_RATE = 0.9;

export const NotificationEnvSchema = Type.Object({
  /**
   * SMTP server for e-mail, e.g. `smtp://user:pass@smtp.example.com:587` (STARTTLS when offered) or
   * `smtps://...:465`. Default: none, and e-mail goes to the development channel.
   */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  /** Sender of every e-mail; its domain also names our Message-IDs. Default: `Shop <orders@shop.example>`. */
  EMAIL_FROM: Type.String({ default: 'Shop <orders@shop.example>', pattern: FROM_ADDRESS_PATTERN }),
  /**
   * Latency the development channels add to every send, to reproduce a slow provider (lag scenarios).
   * Default: 0.
   */
  DEV_CHANNEL_LATENCY_MS: Type.Integer({ default: 0, minimum: 0, maximum: MAX_DEV_CHANNEL_LATENCY_MS }),
  /**
   * Share of development-channel sends that fail with a transient provider error (NTF_CHANNEL_UNAVAILABLE,
   * retried through the retry tiers), to reproduce a flaky provider and a retry storm (lag scenarios).
   * From 0 (default) to MAX_DEV_CHANNEL_FAILURE_RATE.
   */
  DEV_CHANNEL_FAILURE_RATE: Type.Number({ default: 0, minimum: 0, maximum: MAX_DEV_CHANNEL_FAILURE_RATE }),
  /**
   * Days a notification's contact data (the e-mail address or phone number it went to) is kept after its
   * last write; then it is erased and the delivery record stays. Default: 30. Fractions are allowed.
   */
  CONTACT_RETENTION_DAYS: Type.Number({ default: 30, exclusiveMinimum: 0, maximum: 3_650 }),
  /** How often expired contact data is looked for. Default: hourly. */
  CONTACT_ERASURE_INTERVAL_MS: Type.Integer({ default: 3_600_000, minimum: 100, maximum: 86_400_000 }),
});

export interface NotificationConfig {
  /** Absent: e-mail uses the development channel. */
  readonly smtpUrl: string | undefined;
  readonly emailFrom: string;
  /** Right-hand side of our Message-IDs: the sender's domain. */
  readonly messageIdDomain: string;
  readonly devChannelLatencyMs: number;
  /** Share of development-channel sends that fail transiently; 0 in normal use. */
  readonly devChannelFailureRate: number;
  /** Contact data last written longer ago than this is erased. */
  readonly contactRetentionSeconds: number;
  readonly contactErasureIntervalMs: number;
}

export function loadNotificationConfig(env: Env): NotificationConfig {
  const raw = loadEnv(NotificationEnvSchema, env);
  const domain = new RegExp(FROM_ADDRESS_PATTERN).exec(raw.EMAIL_FROM)?.[1];
  if (domain === undefined) throw new Error(`EMAIL_FROM ${raw.EMAIL_FROM} passed validation without a domain`);
  return Object.freeze({
    smtpUrl: raw.SMTP_URL,
    emailFrom: raw.EMAIL_FROM,
    messageIdDomain: domain.toLowerCase(),
    devChannelLatencyMs: raw.DEV_CHANNEL_LATENCY_MS,
    devChannelFailureRate: raw.DEV_CHANNEL_FAILURE_RATE,
    contactRetentionSeconds: raw.CONTACT_RETENTION_DAYS * 86_400,
    contactErasureIntervalMs: raw.CONTACT_ERASURE_INTERVAL_MS,
  });
}
