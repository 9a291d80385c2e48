import type { ConsumerId } from '@shop/contracts';
import { FAILURE_HEADERS, HEADERS } from '@shop/contracts';

/**
 * One record of a dead-letter topic as read by offset: the bytes exactly as stored (key, value and every
 * header), its coordinates, and the catalog consumer whose dead-letter topic it is.
 */
export interface DeadLetter {
  /** Consumer whose dead-letter topic holds the record (from the topic, not from a header). */
  readonly consumerId: ConsumerId;
  /** The dead-letter topic (namespaced, as on the cluster). */
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** When the record was written to the dead-letter topic (ms since epoch; producer CreateTime). */
  readonly timestamp: number;
  readonly key: string | undefined;
  readonly value: Buffer | undefined;
  /** Header values as stored. A header name seen twice keeps its last value, as the consumer runner reads them. */
  readonly headers: ReadonlyMap<string, Buffer>;
}

/** A header's value as UTF-8 text, or undefined. */
export function headerText(record: Pick<DeadLetter, 'headers'>, name: string): string | undefined {
  return record.headers.get(name)?.toString('utf8');
}

/** A non-negative integer header (attempts, replay count); 0 when absent or not a number. */
export function headerCount(record: Pick<DeadLetter, 'headers'>, name: string): number {
  const value = Number(headerText(record, name) ?? 0);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** How many times the record was replayed before it came back, as its own header says. */
export function replayCountOf(record: Pick<DeadLetter, 'headers'>): number {
  return headerCount(record, FAILURE_HEADERS.replayCount);
}

export function eventIdOf(record: Pick<DeadLetter, 'headers'>): string | undefined {
  return headerText(record, HEADERS.eventId);
}

/**
 * The payload's `orderId` when the value is a JSON object that has one: the key is the order id for every
 * well-formed record, but a poison record may have lost or garbled its key.
 */
export function orderIdOf(record: Pick<DeadLetter, 'value'>): string | undefined {
  if (record.value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(record.value.toString('utf8'));
    const orderId = (parsed as { orderId?: unknown } | null)?.orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  } catch {
    // Not JSON (a poison record): it has no order id beyond its key.
    return undefined;
  }
}

/**
 * What identifies "the same failed record" across its copies in one dead-letter topic: its event id (kept
 * through retries and replays), or its coordinates when it has none. Replay counts and supersession use it.
 */
export function identityOf(record: Pick<DeadLetter, 'headers' | 'partition' | 'offset'>): string {
  return eventIdOf(record) ?? `${record.partition}:${record.offset}`;
}

/** `topic/partition@offset`, how the CLI names a record. */
export function coordinatesOf(record: Pick<DeadLetter, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}/${record.partition}@${record.offset}`;
}
