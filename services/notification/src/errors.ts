/**
 * The closed set of Notification Service error codes. `retryable` decides the consumer runner's path:
 * true → the retry tiers, then the dead-letter topic; false → the dead-letter topic at once. No code here
 * may mean "our own database or Kafka is down": those stay the platform's infrastructure errors, retried
 * in place. A provider outage is a channel failure (retryable), never infrastructure: it must not pause
 * the consumer forever, and it does not block e-mails when only SMS is down. The HTTP statuses apply only
 * if one of these errors ever reaches HTTP (none does today). Listed in docs/errors.md (generated; a test
 * fails when it drifts).
 */
import { AppError, type ErrorFactory, type ErrorSpec, errorFactory } from '@shop/platform';

export const NOTIFICATION_ERRORS = {
  NTF_CHANNEL_TIMEOUT: {
    httpStatus: 504,
    retryable: true,
    description:
      'The provider did not answer within `CHANNEL_SEND_TIMEOUT_MS`; it may or may not have accepted the message.',
  },
  NTF_CHANNEL_UNAVAILABLE: {
    httpStatus: 503,
    retryable: true,
    description:
      'The provider could not be reached or deferred the message (connection refused or lost, DNS, TLS, 4xx SMTP reply, development mailbox unreachable).',
  },
  NTF_CHANNEL_FAILED: {
    httpStatus: 502,
    retryable: true,
    description:
      "A channel failed with an error it did not classify (a provider SDK's own error); retried, then dead-lettered.",
  },
  NTF_RECIPIENT_REJECTED: {
    httpStatus: 422,
    retryable: false,
    description: 'The provider rejected the recipient for good (5xx to RCPT TO, invalid or unknown address or number).',
  },
  NTF_MESSAGE_REJECTED: {
    httpStatus: 422,
    retryable: false,
    description: 'The provider rejected the message for good (a permanent 5xx reply other than for the recipient).',
  },
  NTF_CHANNEL_MISCONFIGURED: {
    httpStatus: 500,
    retryable: false,
    description:
      'The channel cannot work as configured (authentication refused, invalid transport settings); fix the configuration, then replay.',
  },
  NTF_UNEXPECTED_EVENT_TYPE: {
    httpStatus: 500,
    retryable: false,
    description:
      'An event type reached the notifier that the catalog does not route to it; dead-lettered, never skipped.',
  },
} as const satisfies Record<`NTF_${string}`, ErrorSpec>;

export type NotificationErrorCode = keyof typeof NOTIFICATION_ERRORS;

/** Builds the AppError for `code` with its fixed status and retry flag. */
export const notificationError: ErrorFactory<NotificationErrorCode> = errorFactory(NOTIFICATION_ERRORS);

export function isNotificationError(error: unknown): error is AppError<NotificationErrorCode> {
  return error instanceof AppError && Object.hasOwn(NOTIFICATION_ERRORS, error.code);
}
