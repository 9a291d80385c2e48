/**
 * The idempotency key of one notification: a name-based UUID (RFC 9562 version 5) of
 * (order id, outcome event type, channel). Deterministic on purpose: every delivery of every event that
 * reports the same outcome of the same order derives the same key, on any instance, after any restart,
 * so a re-send after a lost acknowledgement is recognisable by the provider, and the key can serve as
 * the SMTP Message-ID.
 */
import { createHash } from 'node:crypto';
import type { ChannelKind } from './channel.ts';
import type { OutcomeType } from './outcome.ts';

/** Namespace of notification keys (a random UUID fixed forever: changing it changes every key). */
export const NOTIFICATION_KEY_NAMESPACE = '3f0c9a52-6d1e-4b8e-9a57-2c4e1f7d8b60';

/** RFC 9562 UUIDv5 of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`);
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The notification key of one outcome of one order on one channel. `orderId` is canonical lowercase. */
export function notificationKey(orderId: string, outcome: OutcomeType, channel: ChannelKind): string {
  return uuidV5(NOTIFICATION_KEY_NAMESPACE, `${orderId.toLowerCase()}/${outcome}/${channel}`);
}
