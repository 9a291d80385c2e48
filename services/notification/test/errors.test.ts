import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { NOTIFICATION_ERROR_CODES, NOTIFICATION_ERRORS, notificationError } from '../src/errors.ts';

const DESIGN_DOC = new URL('../../../docs/design/notifications.md', import.meta.url);

test('every error code should be documented in docs/design/notifications.md with its retryable flag and HTTP status', () => {
  const documented = new Map<string, { retryable: boolean; httpStatus: number }>();
  for (const [, code, retryable, status] of readFileSync(DESIGN_DOC, 'utf8').matchAll(
    /^\| `(NTF_[A-Z_]+)` \| (yes|no) \| (\d{3}) \|/gm,
  )) {
    documented.set(code as string, { retryable: retryable === 'yes', httpStatus: Number(status) });
  }
  assert.deepEqual(
    Object.fromEntries(documented),
    Object.fromEntries(
      NOTIFICATION_ERROR_CODES.map((code) => [
        code,
        { retryable: NOTIFICATION_ERRORS[code].retryable, httpStatus: NOTIFICATION_ERRORS[code].httpStatus },
      ]),
    ),
  );
});

test('notificationError should carry the code’s fixed retryable flag and HTTP status', () => {
  for (const code of NOTIFICATION_ERROR_CODES) {
    const error = notificationError(code, 'test');
    assert.equal(error.retryable, NOTIFICATION_ERRORS[code].retryable, code);
    assert.equal(error.httpStatus, NOTIFICATION_ERRORS[code].httpStatus, code);
    assert.match(code, /^NTF_/);
  }
});
