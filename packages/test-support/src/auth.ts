/**
 * Tokens for the services under test. Every service a test process starts (startTestService, the stack,
 * restartService, spawnService) verifies HS256 tokens with this process's own random secret, so tests mint
 * whatever caller they need, and a token of one test run means nothing to any other stack.
 */
import { randomBytes } from 'node:crypto';
import { mintToken, type Role } from '@shop/platform';

/** The AUTH_JWT_SECRET of every service started by this test process. */
export const TEST_AUTH_SECRET = randomBytes(32).toString('hex');

const minted = new Map<string, Promise<string>>();

/** A token of `subject` with `roles`, signed with TEST_AUTH_SECRET (valid for an hour; cached). */
export function testToken(subject: string, roles: readonly Role[], secret = TEST_AUTH_SECRET): Promise<string> {
  const key = `${secret}\u0000${subject}\u0000${roles.join(',')}`;
  let token = minted.get(key);
  if (token === undefined) {
    token = mintToken(secret, { subject, roles });
    minted.set(key, token);
  }
  return token;
}

/** A customer's token: the customer id is its subject. */
export function customerToken(customerId: string): Promise<string> {
  return testToken(customerId, ['customer']);
}

export function operatorToken(): Promise<string> {
  return testToken('test-operator', ['operator']);
}

export function serviceToken(service = 'order-service'): Promise<string> {
  return testToken(service, ['service']);
}

/** The Authorization header carrying `token`. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
