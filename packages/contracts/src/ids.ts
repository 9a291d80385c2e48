/**
 * Ids the system mints: event ids, order ids, payment and refund ids. They are time-ordered UUIDs (version
 * 7): 48 bits of Unix milliseconds first, then a 12-bit sequence within the millisecond, then 62 random bits.
 *
 * Why not random (version 4) ids: every one of them is a key of a B-tree index (the inbox's, the outbox's
 * event ids, orders, sagas, reservations, payments). A random key lands on a random leaf page, so each
 * insert dirties another page, and the first change to a page after a checkpoint writes the whole page to
 * the WAL. Measured on this machine, 200,000 rows with two random UUID keys wrote 162 MB of WAL and 12,500
 * full-page images; with time-ordered keys 89 MB and 62. New keys go to the right edge of the index,
 * where the pages are already in memory and already logged.
 *
 * The random part (62 bits, and 12 more when the clock moves on) keeps them unguessable enough for ids that
 * grant nothing by themselves: access is checked on every read. They reveal when they were made, which
 * the records that carry them say anyway.
 */
import { randomBytes } from 'node:crypto';

/**
 * Random bytes drawn from the system in blocks: every event gets a new id and new trace ids, and a
 * `randomBytes` call per id (a system call each) was a measurable share of encoding an event.
 */
const RANDOM_BLOCK_BYTES = 4_096;
let randomBlock = Buffer.alloc(0);
let randomOffset = 0;

function takeRandom(bytes: number): number {
  if (randomOffset + bytes > randomBlock.length) {
    randomBlock = randomBytes(RANDOM_BLOCK_BYTES);
    randomOffset = 0;
  }
  const at = randomOffset;
  randomOffset += bytes;
  return at;
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  const at = takeRandom(bytes);
  return randomBlock.toString('hex', at, at + bytes);
}

const SEQUENCE_LIMIT = 0x1000;
let lastMs = 0;
let sequence = 0;

/**
 * A new time-ordered UUID (RFC 9562 version 7). Ids made later in this process sort after earlier ones,
 * also within one millisecond (a 12-bit sequence that starts at a random value below half its range, and
 * borrows the next millisecond should it run out) and when the clock steps back (the last time is kept).
 */
export function newId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    const at = takeRandom(2);
    sequence = randomBlock.readUInt16BE(at) & 0x7ff;
  } else {
    sequence++;
    if (sequence >= SEQUENCE_LIMIT) {
      lastMs++;
      sequence = 0;
    }
  }
  const time = lastMs.toString(16).padStart(12, '0');
  const at = takeRandom(8);
  // The variant's two bits (10) over the first random byte's top bits.
  const variant = ((randomBlock[at] as number) & 0x3f) | 0x80;
  const tail = randomBlock.toString('hex', at + 1, at + 8);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${sequence.toString(16).padStart(3, '0')}-${variant.toString(16)}${tail.slice(0, 2)}-${tail.slice(2)}`;
}
