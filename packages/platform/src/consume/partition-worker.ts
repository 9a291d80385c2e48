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

  constructor(key: string, topic: string, partition: number) {
    this.key = key;
    this.topic = topic;
    this.partition = partition;
  }

  get size(): number {
    return this.#records.length;
  }

  push(record: KafkaRecord): void {
    this.#records.push(record);
  }

  clear(): void {
    this.#records.length = 0;
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
