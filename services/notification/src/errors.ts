/**
 * The closed set of Notification Service error codes. `retryable` decides the consumer runner's path:
 * true → the retry tiers, then the dead-letter topic; false → the dead-letter topic at once. No code here
 * may mean "our own database or Kafka is down": those stay the platform's infrastructure errors, retried
 * in place. A provider outage is a channel failure (retryable), never infrastructure: it must not pause
 * the consumer forever, and it does not block e-mails when only SMS is down.
 * Every code is documented in docs/design/notifications.md (a test fails otherwise).
 */
import { AppError, type ErrorFactory, errorFactory } from '@shop/platform';

export const NOTIFICATION_ERRORS = {
  NTF_CHANNEL_TIMEOUT: {
    retryable: true,
    httpStatus: 504,
    message: 'The provider did not answer within the send timeout; it may or may not have accepted the message.',
  },
  NTF_CHANNEL_UNAVAILABLE: {
    retryable: true,
    httpStatus: 503,
    message: 'The provider could not be reached or deferred the message (connection refused or lost, 4xx reply).',
  },
  NTF_CHANNEL_FAILED: {
    retryable: true,
    httpStatus: 502,
    message: 'The channel failed in a way it did not classify; retried, then dead-lettered.',
  },
  NTF_RECIPIENT_REJECTED: {
    retryable: false,
    httpStatus: 422,
    message: 'The provider rejected the recipient for good (invalid or unknown address or number).',
  },
  NTF_MESSAGE_REJECTED: {
    retryable: false,
    httpStatus: 422,
    message: 'The provider rejected the message for good (permanent 5xx reply other than for the recipient).',
  },
  NTF_CHANNEL_MISCONFIGURED: {
    retryable: false,
    httpStatus: 500,
    message: 'The channel cannot work as configured (authentication refused, invalid settings); fix and replay.',
  },
  NTF_UNEXPECTED_EVENT_TYPE: {
    retryable: false,
    httpStatus: 500,
    message: 'An event type reached the notifier that the catalog does not route to it; dead-lettered, never skipped.',
  },
} as const satisfies Record<string, { retryable: boolean; httpStatus: number; message: string }>;

export type NotificationErrorCode = keyof typeof NOTIFICATION_ERRORS;

export const NOTIFICATION_ERROR_CODES = Object.keys(NOTIFICATION_ERRORS) as NotificationErrorCode[];

/** An AppError with the code's fixed `retryable` and `httpStatus`. */
export const notificationError: ErrorFactory<NotificationErrorCode> = errorFactory(NOTIFICATION_ERRORS);

export function isNotificationError(error: unknown): error is AppError<NotificationErrorCode> {
  return error instanceof AppError && Object.hasOwn(NOTIFICATION_ERRORS, error.code);
}
