/**
 * Hostile records at scale: FUZZ_RECORDS (default 1,000; FUZZ_SEED replays a run) random, truncated,
 * mis-typed and mis-labelled records written into every topic a consumer group reads (each consumer's
 * sources and its retry tiers), while an order is placed.
 * Every one of them ends in its consumer's dead-letter topic with a code and a reason, none of them
 * anywhere else, and the order settles and is notified as it would on a quiet day.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AnyEventDefinition,
  businessTopics,
  CONSUMERS,
  deadLetterTopicOf,
  EVENT_REGISTRY,
  encodeEvent,
  FAILURE_HEADERS,
  HEADERS,
  newEventMeta,
  retryTopicsOf,
  topic,
} from '@shop/contracts';
import { createProducer } from '@shop/platform';
import { eventually, readTopic, testKafkaConnection } from '@shop/test-support';
import { notifications, placeOrder, putStock, settled, startStack } from '@shop/test-support/stack';
import fc from 'fast-check';

const RECORDS = Number(process.env.FUZZ_RECORDS ?? 1_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** How long the dead letters may take to arrive once the storm is written (a loaded CI machine is slow). */
const DEAD_LETTER_TIMEOUT_MS = Number(process.env.FUZZ_DLT_TIMEOUT_MS ?? 120_000);

interface HostileRecord {
  key: string | null;
  value: Buffer | null;
  headers: Map<string, Buffer>;
}

function latest(type: string): AnyEventDefinition {
  const versions = (EVENT_REGISTRY as Record<string, readonly AnyEventDefinition[]>)[type];
  const definition = versions?.at(-1);
  if (definition === undefined) throw new Error(`no definition of ${type}`);
  return definition;
}

/** A valid record of `type` from its producer: what each hostile record is made from. */
function valid(type: string) {
  const definition = latest(type);
  const producer = businessTopics().find((candidate) => candidate.events.includes(type as never))?.owner;
  const payload = structuredClone(definition.example) as Record<string, unknown>;
  const orderId = crypto.randomUUID();
  if ('orderId' in payload) payload.orderId = orderId;
  const meta = newEventMeta({ type, producer, correlationId: orderId } as Parameters<typeof newEventMeta>[0]);
  return encodeEvent({ meta, payload } as Parameters<typeof encodeEvent>[0]);
}

/** Records no consumer can accept, for a topic carrying `types`. */
function hostileRecords(types: readonly string[]): fc.Arbitrary<HostileRecord> {
  const base = fc.constantFrom(...types).map((type) => valid(type));
  const headersOf = (encoded: ReturnType<typeof encodeEvent>) => new Map(Object.entries(encoded.headers));
  const key = fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 30 })), { nil: null });
  return fc.oneof(
    // Random bytes under random or real headers.
    fc
      .tuple(
        fc.uint8Array({ maxLength: 2_048 }),
        fc.boolean(),
        base,
        key,
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 4 }),
      )
      .map(([bytes, realHeaders, encoded, k, junk]) => ({
        key: k,
        value: Buffer.from(bytes),
        headers: realHeaders
          ? headersOf(encoded)
          : new Map(Object.entries(junk).map(([name, text]) => [name, Buffer.from(text)])),
      })),
    // A valid record cut short: at least one byte, never its full length.
    fc.tuple(base, fc.nat()).map(([encoded, n]) => ({
      key: encoded.key,
      value: encoded.value.subarray(0, 1 + (n % (encoded.value.length - 1))),
      headers: headersOf(encoded),
    })),
    // Well-formed JSON of the wrong shape: the order id of another type, the payload not an object, a huge text.
    fc
      .tuple(
        base,
        fc.oneof(
          fc.constant<unknown>(null),
          fc.integer(),
          fc.string(),
          fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
          fc.constant({ orderId: 12_345 }),
          fc.constant({ orderId: 'not-a-uuid', extra: true }),
          fc.integer({ min: 10_000, max: 200_000 }).map((n) => ({ orderId: crypto.randomUUID(), junk: 'x'.repeat(n) })),
        ),
      )
      .map(([encoded, payload]) => ({
        key: encoded.key,
        value: Buffer.from(JSON.stringify(payload)),
        headers: headersOf(encoded),
      })),
    // A valid payload under headers that lie: an unknown type or version, a missing or malformed event id.
    fc
      .tuple(
        base,
        fc.constantFrom<[string, string | undefined]>(
          [HEADERS.eventType, 'BogusEvent'],
          [HEADERS.eventType, ''],
          [HEADERS.eventType, undefined],
          // A newer version than the reader knows is read as the newest one (forward compatibility), so
          // only versions that can never have been registered lie here.
          [HEADERS.eventVersion, '0'],
          [HEADERS.eventVersion, 'one'],
          [HEADERS.eventVersion, undefined],
          [HEADERS.eventId, 'not-a-uuid'],
          [HEADERS.eventId, undefined],
        ),
      )
      .map(([encoded, [name, value]]) => {
        const headers = headersOf(encoded);
        if (value === undefined) headers.delete(name);
        else headers.set(name, Buffer.from(value));
        return { key: encoded.key, value: encoded.value, headers };
      }),
    // No value at all, or an empty one.
    fc.tuple(base, fc.boolean()).map(([encoded, empty]) => ({
      key: encoded.key,
      value: empty ? Buffer.alloc(0) : null,
      headers: headersOf(encoded),
    })),
  );
}

/** Records per produce request, at most. */
const SEND_CHUNK_RECORDS = 250;
/**
 * Bytes per produce request, at most: the client does not split a request by size, and a partition's batch
 * over the broker's message.max.bytes (1 MiB by default) is refused whole. The storm's huge payloads (up to
 * 200 kB each) would cross it on a seed that puts several in one partition.
 */
const SEND_CHUNK_BYTES = 256 * 1_024;

function recordBytes(record: HostileRecord): number {
  let bytes = (record.value?.length ?? 0) + (record.key === null ? 0 : Buffer.byteLength(record.key));
  for (const [name, value] of record.headers) bytes += Buffer.byteLength(name) + value.length;
  return bytes;
}

/** The records in send order, cut into requests of at most SEND_CHUNK_RECORDS records and SEND_CHUNK_BYTES. */
function* sendChunks(records: readonly HostileRecord[]): Generator<HostileRecord[]> {
  let chunk: HostileRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.length > 0 && (chunk.length >= SEND_CHUNK_RECORDS || bytes + size > SEND_CHUNK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

test('random and truncated records in every consumed topic should all be dead-lettered with a reason while an order placed during the storm settles normally', async (t) => {
  const stack = await startStack(t);
  const sku = `STORM-${Date.now().toString(36).toUpperCase()}`;
  await putStock(stack.inventory.url, sku, 10);
  const producer = createProducer(await testKafkaConnection());
  t.after(() => producer.close());

  // Every topic a consumer group reads: its sources, and its retry tiers (read by its retry group).
  const sources = CONSUMERS.flatMap((consumer) => [
    ...consumer.sources.map((source) => ({ consumer: consumer.id, topic: topic(source) })),
    ...retryTopicsOf(consumer.id).map((retry) => ({ consumer: consumer.id, topic: retry })),
  ]);
  const storm = sources.map(({ consumer, topic: definition }, index) => ({
    consumer,
    name: stack.namespace.topic(definition.name),
    records: fc.sample(hostileRecords(definition.events), { numRuns: RECORDS, seed: SEED + index }),
  }));
  t.diagnostic(`seed ${SEED}: ${RECORDS} records into each of ${storm.map((s) => s.name).join(', ')}`);

  const started = performance.now();
  const sending = (async () => {
    for (const { name, records } of storm) {
      for (const chunk of sendChunks(records)) {
        await producer.send({
          messages: chunk.map((record) => ({
            topic: name,
            ...(record.key === null ? {} : { key: record.key }),
            ...(record.value === null ? {} : { value: record.value }),
            headers: record.headers,
          })),
        });
      }
    }
  })().catch((error: unknown) => {
    // The seed is what replays a failing storm: say it where the failure is reported, not only in a diagnostic.
    throw new Error(`writing the storm failed (FUZZ_SEED=${SEED})`, { cause: error });
  });
  // The order goes in while the storm is written and worked through.
  const orderId = await placeOrder(stack.order.url, [{ sku, quantity: 1 }], '+4915112345678');
  await sending;
  assert.equal((await settled(stack.order.url, orderId, 90_000)).status, 'CONFIRMED');
  await eventually(
    async () => ((await notifications(stack.notification.url, orderId)).length === 2 ? true : undefined),
    60_000,
    'the order notified by e-mail and SMS',
  );

  /** The records of the consumer's sources that are not in its dead-letter topic (for the failure message). */
  const undeadLetters = async (consumerId: (typeof CONSUMERS)[number]['id']) => {
    const dead = await readTopic(stack.namespace.topic(deadLetterTopicOf(consumerId).name), 'end');
    const seen = new Set(
      dead.map(
        (r) =>
          `${r.headers.get(FAILURE_HEADERS.originalTopic)}/${r.headers.get(FAILURE_HEADERS.originalPartition)}/${r.headers.get(FAILURE_HEADERS.originalOffset)}`,
      ),
    );
    const names = storm.filter((s) => s.consumer === consumerId).map((s) => s.name);
    const sent = await readTopic(names, 'end');
    return sent
      .filter((r) => !seen.has(`${r.topic}/${r.partition}/${r.offset}`))
      .map(
        (r) =>
          `${r.topic}/${r.partition}/${r.offset} key=${r.key?.toString()} headers=${JSON.stringify(
            Object.fromEntries([...r.headers].map(([k, v]) => [k.toString(), v.toString()])),
          )} value=${r.value === undefined || r.value === null ? String(r.value) : r.value.toString().slice(0, 120)}`,
      )
      .join('\n');
  };
  const codes = new Map<string, number>();
  for (const consumer of CONSUMERS) {
    const expected = storm.filter((s) => s.consumer === consumer.id).length * RECORDS;
    const deadLetters = stack.namespace.topic(deadLetterTopicOf(consumer.id).name);
    await readTopic(deadLetters, expected, { timeoutMs: DEAD_LETTER_TIMEOUT_MS }).catch(async (error) => {
      throw new Error(`${(error as Error).message}; not dead-lettered:\n${await undeadLetters(consumer.id)}`);
    });
    // Everything there is, now that the expected count arrived: nothing more (the order's records are not there).
    const dead = await readTopic(deadLetters, 'end');
    assert.equal(dead.length, expected, `${consumer.id}: every hostile record dead-lettered once`);
    for (const record of dead) {
      const code = record.headers.get(FAILURE_HEADERS.errorCode)?.toString() ?? '';
      const reason = record.headers.get(FAILURE_HEADERS.errorMessage)?.toString() ?? '';
      assert.match(code, /^[A-Z]{2,4}_[A-Z_]+$/, `${consumer.id}: a dead letter without a code`);
      assert.ok(reason.length > 0, `${consumer.id}: a dead letter without a reason`);
      assert.equal(record.headers.get(FAILURE_HEADERS.kind)?.toString(), 'poison');
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  }
  t.diagnostic(
    `dead-lettered in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(Object.fromEntries(codes))}`,
  );
});
