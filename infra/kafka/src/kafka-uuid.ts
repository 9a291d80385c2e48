import { randomUUID } from 'node:crypto';

/**
 * A random id in Kafka's Uuid text form (16 bytes, URL-safe base64 without padding), as used for
 * cluster.id and directory.id. Like Kafka's Uuid.randomUuid, ids starting with "-" are rejected
 * because command-line parsers would read them as options.
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const bytes = Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
    const id = bytes.toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
