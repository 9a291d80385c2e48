/**
 * The records of one partition waiting to be handled, in offset order. A partition is in at most one batch
 * at a time (`busy`), which is what keeps its records in order; partitions never wait for each other.
 */
import type { KafkaRecord } from './types.ts';

export class PartitionQueue {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly #records: KafkaRecord[] = [];
  /** In a batch now; its next records wait for that batch to settle. */
  busy = false;
  /** Offset of the first record of the batch in flight, if any. */
  inFlightFrom: bigint | undefined;
  /**
   * The offset after the last record queued. A record below it is one this member already holds, handled
   * or has in flight, fetched again (the stream re-reads from the committed offset after a rebalance): it
   * is dropped, which keeps the partition's records in order and never loses one.
   */
  nextOffset: bigint | undefined;

  constructor(key: string, topic: string, partition: number) {
    this.key = key;
    this.topic = topic;
    this.partition = partition;
  }

  get size(): number {
    return this.#records.length;
  }

  /** Queues a record; false when it was dropped as one already held (see `nextOffset`). */
  push(record: KafkaRecord): boolean {
    if (this.nextOffset !== undefined && record.offset < this.nextOffset) return false;
    this.#records.push(record);
    this.nextOffset = record.offset + 1n;
    return true;
  }

  /**
   * Forgets the partition (revoked): drops what is queued and returns the lowest offset this member had not
   * committed (its batch in flight, or its queue), where fetching must resume if it is assigned back.
   */
  revoke(): bigint | undefined {
    const head = this.#records[0]?.offset;
    const from =
      this.inFlightFrom === undefined
        ? head
        : head === undefined || this.inFlightFrom < head
          ? this.inFlightFrom
          : head;
    this.#records.length = 0;
    this.nextOffset = undefined;
    return from;
  }

  /** When the first waiting record may be handled (ms since epoch); undefined when it may now or none waits. */
  headDueAt(dueAt: ((record: KafkaRecord) => number | undefined) | undefined, now: number): number | undefined {
    const head = this.#records[0];
    if (head === undefined || dueAt === undefined) return undefined;
    const due = dueAt(head);
    return due !== undefined && due > now ? due : undefined;
  }

  /** Removes and returns up to `limit` records from the head, stopping at the first one not yet due. */
  take(limit: number, dueAt: ((record: KafkaRecord) => number | undefined) | undefined, now: number): KafkaRecord[] {
    let count = 0;
    while (count < limit && count < this.#records.length) {
      const due = dueAt?.(this.#records[count] as KafkaRecord);
      if (due !== undefined && due > now) break;
      count++;
    }
    return this.#records.splice(0, count);
  }
}
