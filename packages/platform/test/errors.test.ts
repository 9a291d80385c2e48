import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError, classifyError, platformError } from '../src/errors.ts';

test('classifyError should mark connection refusals as retryable infrastructure failures', () => {
  const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const classified = classifyError(error);
  assert.equal(classified.code, 'PLT_INFRASTRUCTURE');
  assert.equal(classified.retryable, true);
  assert.equal(classified.cause, error);
});

test('classifyError should read SQLSTATE classes, not messages', () => {
  const adminShutdown = Object.assign(new Error('terminating connection'), { code: '57P01' });
  assert.equal(classifyError(adminShutdown).retryable, true);
  const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
  assert.equal(classifyError(deadlock).retryable, true);
  // Same message text as a retryable error, but a constraint violation can never pass when retried.
  const uniqueViolation = Object.assign(new Error('terminating connection'), { code: '23505' });
  assert.equal(classifyError(uniqueViolation).retryable, false);
});

test('classifyError should trust the Kafka client retry flag and treat network errors as retryable', () => {
  const network = Object.assign(new Error('x'), { code: 'PLT_KFK_NETWORK', canRetry: false });
  assert.equal(classifyError(network).retryable, true);
  const user = Object.assign(new Error('x'), { code: 'PLT_KFK_USER', canRetry: false });
  assert.equal(classifyError(user).retryable, false);
});

test('classifyError should keep an AppError as it is', () => {
  const error = platformError('PLT_MIGRATION_FAILED', 'boom');
  assert.equal(classifyError(error), error);
  assert.ok(error instanceof AppError);
  assert.equal(error.retryable, false);
});

test('classifyError should treat unknown errors as non-retryable PLT_UNEXPECTED', () => {
  const classified = classifyError(new TypeError('undefined is not a function'));
  assert.equal(classified.code, 'PLT_UNEXPECTED');
  assert.equal(classified.retryable, false);
});
