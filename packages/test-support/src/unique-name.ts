import { randomBytes } from 'node:crypto';

/**
 * `prefix` plus a random suffix; lower-case letters, digits and `_`/`-` only. Every name a test creates
 * (topic, group, database) is unique per call, so test files can run in parallel on one machine.
 */
export function uniqueName(prefix: string, separator: '-' | '_' = '-'): string {
  return `${prefix}${separator}${Date.now().toString(36)}${separator}${randomBytes(4).toString('hex')}`;
}
