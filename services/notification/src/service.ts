/**
 * The Notification Service: consumes the order outcomes (`notifyCustomers`) and tells the customer by
 * e-mail, and by SMS when a phone is given, exactly once per outcome per channel; lists what it sent at
 * `GET /notifications?orderId=`. See docs/design/notifications.md.
 */
import { fileURLToPath } from 'node:url';
import { createPool, platformMigrations, type ServiceContext, type ServiceDefinition } from '@shop/platform';
import { registerNotificationRoutes } from './api/notifications-routes.ts';
import { createNotificationDeliverer, type NotificationChannels } from './app/deliver-notifications.ts';
import { ContactEraser } from './app/erase-expired-contacts.ts';
import { createDevChannel, DEV_CHANNEL_POOL_SIZE } from './channels/dev-channel.ts';
import { CHANNEL_SEND_TIMEOUT_MS } from './channels/send-with-timeout.ts';
import { createSmtpEmailChannel } from './channels/smtp-email-channel.ts';
import { loadNotificationConfig, type NotificationConfig } from './config.ts';
import { createNotifyCustomersHandler } from './events/notify-customers.ts';
import { createNotificationMetrics } from './metrics.ts';

export interface NotificationServiceOptions {
  /**
   * Replaces or wraps the channels chosen from the configuration, e.g. to inject a failing channel in a
   * test. Receives the configured channels and the service context. Default: the configured channels.
   */
  channels?: (configured: NotificationChannels, context: ServiceContext) => NotificationChannels;
  /** Bound on one provider call. Default: CHANNEL_SEND_TIMEOUT_MS. */
  sendTimeoutMs?: number;
}

/** SMTP for e-mail when SMTP_URL is set, else the development channel; SMS always the development channel. */
function configuredChannels(config: NotificationConfig, context: ServiceContext): NotificationChannels {
  // The development channels' own pool, created only when one is used (see dev-channel.ts for why).
  let devPool: ReturnType<typeof createPool> | undefined;
  const devChannelPool = () => {
    if (devPool === undefined) {
      const pool = createPool(context.config.databaseUrl, {
        max: DEV_CHANNEL_POOL_SIZE,
        applicationName: `${context.config.service} dev-channel`,
      });
      context.shutdown.register('development channel pool', () => pool.end());
      devPool = pool;
    }
    return devPool;
  };
  const latencyMs = config.devChannelLatencyMs;
  const failureRate = config.devChannelFailureRate;
  let email: NotificationChannels['email'];
  if (config.smtpUrl === undefined) {
    email = createDevChannel({ kind: 'email', pool: devChannelPool(), latencyMs, failureRate });
  } else {
    const smtp = createSmtpEmailChannel({
      url: config.smtpUrl,
      from: config.emailFrom,
      messageIdDomain: config.messageIdDomain,
    });
    context.shutdown.register('smtp transport', () => smtp.close());
    email = smtp;
  }
  const sms = createDevChannel({ kind: 'sms', pool: devChannelPool(), latencyMs, failureRate });
  context.logger.info(
    { email: email.provider, sms: sms.provider },
    config.smtpUrl === undefined
      ? 'notification channels: development (nothing leaves this machine; see GET /notifications)'
      : 'notification channels: SMTP e-mail, development SMS',
  );
  return { email, sms };
}

export function createNotificationService(options: NotificationServiceOptions = {}): ServiceDefinition {
  return {
    name: 'notification-service',
    defaultPort: 8084,
    defaultDatabase: 'notifications',
    migrations: [
      platformMigrations,
      { name: 'notification-service', directory: fileURLToPath(new URL('./db/migrations/', import.meta.url)) },
    ],
    async start(context) {
      // The environment the service was started with (process.env only for a real process): a test's
      // in-process service never picks up the developer's SMTP_URL.
      const config = loadNotificationConfig(context.env);
      const configured = configuredChannels(config, context);
      const channels = options.channels?.(configured, context) ?? configured;
      const metrics = createNotificationMetrics(context.registry);
      const deliver = createNotificationDeliverer({
        channels,
        pool: context.pool,
        metrics,
        sendTimeoutMs: options.sendTimeoutMs ?? CHANNEL_SEND_TIMEOUT_MS,
      });
      registerNotificationRoutes(context.app, { pool: context.pool });
      const eraser = new ContactEraser({
        pool: context.pool,
        logger: context.logger,
        retentionSeconds: config.contactRetentionSeconds,
        intervalMs: config.contactErasureIntervalMs,
        erased: (rows) => metrics.contactsErased(rows),
      });
      eraser.start();
      context.shutdown.register('contact erasure', () => eraser.stop());
      await context.consume('notifyCustomers', { handleBatch: createNotifyCustomersHandler(deliver) });
    },
  };
}

export const notificationService: ServiceDefinition = createNotificationService();
