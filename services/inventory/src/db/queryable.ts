import type { PoolClient } from '@shop/platform/db/pool';
import { platformError } from '@shop/platform/errors';

/**
 * The one thing the repositories need from a driver: run a statement. A pool (one statement, its own
 * transaction) and a client inside `inTransaction` both satisfy it; functions that lock rows say that
 * they need the transaction's client.
 */
export type Queryable = Pick<PoolClient, 'query'>;

/**
 * Reads a bigint column that the query cast to text (node-pg returns int8 as a string so as not to
 * lose precision). Amounts stay below 2^53 by the schema's limits; one beyond it is a bug, not a value.
 */
export function safeInteger(text: string, column: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw platformError('PLT_UNEXPECTED', `${column} = ${text} is not a safe integer`);
  }
  return value;
}
