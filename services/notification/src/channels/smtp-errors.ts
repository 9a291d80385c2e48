/**
 * Classifies nodemailer's errors (by `code` and SMTP reply code, never by message text) into the
 * Notification Service's codes. The rule: only what the same message can never pass is poison.
 */

import type { AppError } from '@shop/platform';
import type { NodemailerError } from 'nodemailer';
import { type NotificationErrorCode, notificationError } from '../errors.ts';

/** Nodemailer codes meaning the connection failed or the server could not be reached: try again later. */
const UNAVAILABLE_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EMAXLIMIT']);
/** Nodemailer codes meaning our configuration is wrong: no retry helps until someone fixes it. */
const MISCONFIGURED_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ECONFIG', 'EREQUIRETLS']);
/** SMTP commands whose permanent rejection is about the recipient. */
const RECIPIENT_COMMANDS = new Set(['RCPT TO']);

/** RFC 5321: 5yz is a permanent rejection, except 503 (bad sequence: the session, not the message). */
function isPermanent(error: NodemailerError): boolean {
  if (typeof error.permanent === 'boolean') return error.permanent;
  const reply = error.responseCode;
  return reply !== undefined && reply >= 500 && reply < 600 && reply !== 503;
}

function codeFor(error: NodemailerError): NotificationErrorCode {
  const code = error.code;
  if (code === 'EABORT' || code === 'ETIMEDOUT') return 'NTF_CHANNEL_TIMEOUT';
  if (code !== undefined && MISCONFIGURED_CODES.has(code)) return 'NTF_CHANNEL_MISCONFIGURED';
  if (error.responseCode !== undefined) {
    if (!isPermanent(error)) return 'NTF_CHANNEL_UNAVAILABLE';
    const aboutRecipient =
      code === 'EENVELOPE' || (error.command !== undefined && RECIPIENT_COMMANDS.has(error.command.toUpperCase()));
    return aboutRecipient ? 'NTF_RECIPIENT_REJECTED' : 'NTF_MESSAGE_REJECTED';
  }
  // An envelope refused before any reply: the address itself is unusable.
  if (code === 'EENVELOPE') return 'NTF_RECIPIENT_REJECTED';
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return 'NTF_CHANNEL_UNAVAILABLE';
  return 'NTF_CHANNEL_FAILED';
}

/** The AppError for a failed SMTP send, with the SMTP details for logs and dead-letter headers. */
export function classifySmtpError(error: unknown): AppError<NotificationErrorCode> {
  const smtp = (error ?? {}) as NodemailerError;
  const code = codeFor(smtp);
  const reply =
    smtp.responseCode === undefined ? '' : ` (${smtp.responseCode}${smtp.command ? ` to ${smtp.command}` : ''})`;
  return notificationError(code, `SMTP send failed${reply}: ${smtp.message ?? String(error)}`, {
    cause: error,
    details: {
      ...(smtp.code === undefined ? {} : { smtpCode: smtp.code }),
      ...(smtp.responseCode === undefined ? {} : { responseCode: smtp.responseCode }),
      ...(smtp.command === undefined ? {} : { command: smtp.command }),
    },
  });
}
