import { platformError } from '@shop/platform';

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
