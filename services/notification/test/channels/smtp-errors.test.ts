import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifySmtpError } from '../../src/channels/smtp-errors.ts';

/** An error shaped as nodemailer shapes them (code, SMTP reply code, command). */
function smtpError(fields: { code?: string; responseCode?: number; command?: string; permanent?: boolean }) {
  return Object.assign(new Error('smtp failure'), fields);
}

test('classifySmtpError should read nodemailer codes and SMTP reply codes, never the message', () => {
  const cases: Array<[Parameters<typeof smtpError>[0], string, boolean]> = [
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, 'NTF_RECIPIENT_REJECTED', false],
    [{ code: 'EENVELOPE' }, 'NTF_RECIPIENT_REJECTED', false],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, 'NTF_MESSAGE_REJECTED', false],
    [{ code: 'EMESSAGE', responseCode: 552, command: 'DATA', permanent: false }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'EPROTOCOL', responseCode: 503, command: 'MAIL FROM' }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, 'NTF_CHANNEL_MISCONFIGURED', false],
    [{ code: 'ECONFIG' }, 'NTF_CHANNEL_MISCONFIGURED', false],
    [{ code: 'ECONNECTION' }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'ESOCKET' }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'EDNS' }, 'NTF_CHANNEL_UNAVAILABLE', true],
    [{ code: 'ETIMEDOUT' }, 'NTF_CHANNEL_TIMEOUT', true],
    [{ code: 'EABORT' }, 'NTF_CHANNEL_TIMEOUT', true],
    [{}, 'NTF_CHANNEL_FAILED', true],
  ];
  for (const [fields, code, retryable] of cases) {
    const error = classifySmtpError(smtpError(fields));
    assert.equal(error.code, code, JSON.stringify(fields));
    assert.equal(error.retryable, retryable, JSON.stringify(fields));
  }
});
