import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CONSUMER_GROUPS,
  deadLetterTopicOf,
  encodeEvent,
  FAILURE_HEADERS,
  newEventMeta,
  retryTopicsOf,
  topicName,
} from '@shop/contracts';
import {
  AppError,
  CatalogConsumer,
  createAdmin,
  createConsumer,
  createLogger,
  createProducer,
  migrate,
  platformMigrations,
} from '@shop/platform';
import {
  createTestDatabase,
  createTestNamespace,
  eventually,
  testKafkaConnection,
  testPostgresUrl,
} from '@shop/test-support';
import type { DeadLetter } from '../../src/dlt/dead-letter.ts';
import { ReplayAudit } from '../../src/dlt/dlt-audit.ts';
import { type DltContext, dltCountByConsumer, dltList, dltReplay, dltShow } from '../../src/dlt/dlt-commands.ts';
import { DeadLetterReader, READER_CLIENT_GROUP_ID } from '../../src/dlt/dlt-reader.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
const SHORT_RETRY_DELAYS_MS = [100, 200, 300];
const POISON = 'INV_TEST_POISON';
const TIMEOUT = 'INV_TEST_TIMEOUT';
const OPERATOR = 'test-operator';
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

type GroupOffsets = Record<string, Record<string, string>>;

function orderPlaced(orderId: string) {
  const meta = newEventMeta({ type: 'OrderPlaced', producer: 'order-service', correlationId: orderId });
  return encodeEvent({ meta, payload: { orderId, lines: [{ sku: 'MUG-RED', quantity: 1 }] } });
}

/**
 * One namespace, one reserveStock CatalogConsumer whose handler fails every order until "the cause is
 * fixed": poison for most (straight to the dead-letter topic), a downstream timeout for the `slow` ones
 * (through every retry tier first). Once fixed, `hopeless` orders keep failing and a `slow` order fails
 * `flakyAfterFix` more times. The steps below run in order on the same dead letters.
 */
async function setup(t: TestContext) {
  const namespace = await createTestNamespace(t, 'test-dlt');
  const consumerDb = await createTestDatabase(t, 'dlt_consumer');
  await migrate(consumerDb.pool, [platformMigrations]);
  await consumerDb.pool.query(
    'CREATE TABLE effects (order_id text NOT NULL, event_id text NOT NULL, topic text NOT NULL)',
  );
  const auditDb = await createTestDatabase(t, 'dlt_audit');
  const connection = await testKafkaConnection();
  const producer = createProducer(connection);
  t.after(() => producer.close());
  const admin = createAdmin(connection);
  t.after(() => admin.close());
  const offsetsClient = createConsumer(connection, 'test-offsets-never-joined');
  t.after(() => offsetsClient.close());

  const state = { broken: true, hopeless: new Set<string>(), slow: new Set<string>(), flakyAfterFix: 0 };
  const consumer = new CatalogConsumer({
    consumer: 'reserveStock',
    connection,
    namespace,
    pool: consumerDb.pool,
    logger,
    producer,
    retryDelaysMs: SHORT_RETRY_DELAYS_MS,
    handle: async (event, context) => {
      if (event.type !== 'OrderPlaced') return;
      const orderId = event.payload.orderId;
      if (state.slow.has(orderId) && (state.broken || state.flakyAfterFix > 0)) {
        if (!state.broken) state.flakyAfterFix--;
        throw new AppError(TIMEOUT, 'downstream timed out (injected)', { retryable: true });
      }
      if (state.broken || state.hopeless.has(orderId)) {
        throw new AppError(POISON, 'stock rule cannot pass (injected)', { retryable: false });
      }
      await context.client.query('INSERT INTO effects (order_id, event_id, topic) VALUES ($1, $2, $3)', [
        orderId,
        context.meta.eventId,
        context.record.topic,
      ]);
    },
  });
  await consumer.start();
  t.after(() => consumer.stop());

  const output: string[] = [];
  const warnings: string[] = [];
  const context: DltContext = {
    connection: await testKafkaConnection('test-dlt-cli'),
    namespace,
    databaseUrl: await testPostgresUrl(),
    auditDatabase: auditDb.name,
    out: (text) => void output.push(text),
    err: (text) => void warnings.push(text),
  };
  const groups = CONSUMER_GROUPS.filter((group) => group.consumerId === 'reserveStock').map((group) => ({
    ...group,
    groupId: namespace.group(group.groupId),
  }));
  const topics = {
    source: namespace.topic(topicName('orderPlaced')),
    retry1: namespace.topic(retryTopicsOf('reserveStock')[0]?.name ?? ''),
    retry2: namespace.topic(retryTopicsOf('reserveStock')[1]?.name ?? ''),
    deadLetter: namespace.topic(deadLetterTopicOf('reserveStock').name),
  };

  return {
    namespace,
    state,
    context,
    output,
    warnings,
    topics,
    groups,
    auditDb,
    async produce(records: { key: string; value: Buffer; headers: Record<string, Buffer> }[]) {
      await producer.send({
        messages: records.map((r) => ({
          topic: topics.source,
          key: r.key,
          value: r.value,
          headers: new Map(Object.entries(r.headers)),
        })),
      });
    },
    async endOffset(topic: string): Promise<bigint> {
      const ends = await offsetsClient.listOffsets({ topics: [topic] });
      return (ends.get(topic) ?? []).reduce((sum, offset) => sum + offset, 0n);
    },
    async groupOffsets(): Promise<GroupOffsets> {
      const listed = await admin.listConsumerGroupOffsets({ groups: groups.map((group) => group.groupId) });
      const result: GroupOffsets = {};
      for (const group of listed) {
        const offsets: Record<string, string> = {};
        for (const topic of group.topics) {
          for (const partition of topic.partitions) {
            offsets[`${topic.name}/${partition.partitionIndex}`] = String(partition.committedOffset);
          }
        }
        result[group.groupId] = offsets;
      }
      return result;
    },
    /** Per order: how many times its effect was applied, and on which topics. */
    async effects(): Promise<Map<string, { count: number; topics: string }>> {
      const rows = await consumerDb.pool.query<{ order_id: string; n: string; topics: string }>(
        "SELECT order_id, count(*) AS n, string_agg(topic, ',') AS topics FROM effects GROUP BY order_id",
      );
      return new Map(rows.rows.map((row) => [row.order_id, { count: Number(row.n), topics: row.topics }]));
    },
    async auditRows(): Promise<{ record_key: string; replay_count: number; target_topic: string; operator: string }[]> {
      const rows = await auditDb.pool.query(
        'SELECT record_key, replay_count, target_topic, operator FROM dlt_replays ORDER BY id',
      );
      return rows.rows;
    },
    async read(topic: string): Promise<DeadLetter[]> {
      const reader = new DeadLetterReader(context.connection);
      const records: DeadLetter[] = [];
      try {
        for await (const record of reader.read([{ consumerId: 'reserveStock', topic }])) records.push(record);
      } finally {
        await reader.close();
      }
      return records;
    },
    admin,
  };
}

const committedSum = (offsets: Record<string, string> | undefined, topic: string) =>
  Object.entries(offsets ?? {})
    .filter(([where]) => where.startsWith(`${topic}/`))
    .reduce((sum, [, offset]) => sum + Math.max(0, Number(offset)), 0);

const header = (record: DeadLetter | undefined, name: string) => record?.headers.get(name)?.toString();

test('dlt list, show and replay work on a consumer’s real dead-letter topic without touching its groups', async (t) => {
  const env = await setup(t);
  const [a, b, c, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  env.state.slow.add(e);
  const records = [a, b, c, e].map((orderId) => orderPlaced(orderId));
  await env.produce([
    ...records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    { key: d, value: Buffer.from('not json{'), headers: orderPlaced(d).headers },
  ]);
  const mainGroup = env.groups.find((group) => group.role === 'main');
  const tier1Group = env.groups.find((group) => group.topics.includes('reserveStockRetry1'));
  assert.ok(mainGroup !== undefined && tier1Group !== undefined);
  await eventually(
    async () => ((await env.endOffset(env.topics.deadLetter)) === 5n ? true : undefined),
    20_000,
    'five dead letters, one after every retry tier',
  );
  await eventually(
    async () =>
      committedSum((await env.groupOffsets())[mainGroup.groupId], env.topics.source) === 5 ? true : undefined,
    20_000,
    'the main group committed past the dead-lettered records',
  );
  const eventIdOf = (orderId: string) => records.find((r) => r.key === orderId)?.meta.eventId;

  await t.test('list should select dead letters by error code, key, order id, time and limit', async () => {
    const byCode = await dltList(env.context, { consumer: 'reserveStock', code: POISON });
    assert.deepEqual(byCode.records.map((r) => r.key).sort(), [a, b, c].sort());
    const exhausted = await dltList(env.context, { consumer: 'reserveStock', code: TIMEOUT });
    assert.deepEqual(
      exhausted.records.map((r) => [r.key, header(r, FAILURE_HEADERS.attempts), header(r, FAILURE_HEADERS.kind)]),
      [[e, '4', 'transient']],
      'dead-lettered after the source and three retry tiers',
    );
    const byKey = await dltList(env.context, { key: d });
    assert.deepEqual(
      byKey.records.map((r) => [r.key, header(r, FAILURE_HEADERS.errorCode)]),
      [[d, 'CTR_NOT_JSON']],
    );
    env.output.length = 0;
    await dltList(env.context, { orderId: a, json: true });
    const printed = JSON.parse(env.output.join('')) as { eventId: string; errorCode: string; originalTopic: string }[];
    assert.deepEqual(
      printed.map((r) => [r.eventId, r.errorCode, r.originalTopic]),
      [[eventIdOf(a), POISON, env.topics.source]],
    );
    assert.equal((await dltList(env.context, { since: '1h' })).matchedTotal, 5);
    assert.equal((await dltList(env.context, { until: '1h' })).matchedTotal, 0);
    const limited = await dltList(env.context, { limit: 2 });
    assert.deepEqual([limited.records.length, limited.matchedTotal], [2, 5]);
  });

  await t.test('count should give every consumer its matching dead letters, 0 for those with none', async () => {
    const lastHour = await dltCountByConsumer(env.context, { since: '1h' });
    assert.equal(lastHour.get('reserveStock'), 5);
    assert.ok(lastHour.size > 1, 'every consumer named');
    for (const [consumer, n] of lastHour) if (consumer !== 'reserveStock') assert.equal(n, 0, consumer);
    assert.equal((await dltCountByConsumer(env.context, { code: POISON })).get('reserveStock'), 3);
    assert.equal((await dltCountByConsumer(env.context, { until: '1h' })).get('reserveStock'), 0);
  });

  await t.test('show should print one dead letter in full by event id or by offset', async () => {
    env.output.length = 0;
    const [shown] = await dltShow(env.context, { eventId: eventIdOf(b) ?? '' });
    const printed = env.output.join('');
    for (const name of shown?.headers.keys() ?? []) assert.ok(printed.includes(`  ${name}: `), name);
    assert.ok(printed.includes(`"orderId": "${b}"`), 'value pretty-printed');
    const notJson = (await dltList(env.context, { key: d })).records[0];
    env.output.length = 0;
    await dltShow(env.context, { consumer: 'reserveStock', partition: 0, offset: notJson?.offset ?? -1n });
    assert.match(env.output.join(''), /value \(text\)\n {2}not json\{/);
    await assert.rejects(dltShow(env.context, { consumer: 'reserveStock', offset: 999n }), {
      code: 'DLT_RECORD_NOT_FOUND',
    });
  });

  await t.test('replay --dry-run should publish nothing, record nothing and move no offset', async () => {
    const before = {
      deadLetter: await env.endOffset(env.topics.deadLetter),
      retry1: await env.endOffset(env.topics.retry1),
      groups: await env.groupOffsets(),
    };
    const summary = await dltReplay(env.context, {
      consumer: 'reserveStock',
      code: `${POISON},${TIMEOUT}`,
      operator: OPERATOR,
      dryRun: true,
    });
    assert.deepEqual(
      [summary.matched, summary.replayed, summary.parked, summary.skipped, summary.failed, summary.runId],
      [4, 0, 0, 0, 0, undefined],
    );
    assert.deepEqual(
      summary.decisions.map((decision) => decision.action),
      ['replay', 'replay', 'replay', 'replay'],
    );
    assert.equal(await env.endOffset(env.topics.deadLetter), before.deadLetter);
    assert.equal(await env.endOffset(env.topics.retry1), before.retry1);
    assert.deepEqual(await env.groupOffsets(), before.groups);
    assert.deepEqual(await env.auditRows(), []);
  });

  await t.test(
    'replay after fixing the cause should process each record once and leave the live groups’ offsets as they were',
    async () => {
      env.state.broken = false;
      env.state.hopeless.add(c);
      env.state.flakyAfterFix = 1;
      // E's first failure went through tier 1 already: the replayed copies follow it.
      const retry1Before = await env.endOffset(env.topics.retry1);
      const before = await env.groupOffsets();
      const summary = await dltReplay(env.context, {
        consumer: 'reserveStock',
        code: `${POISON},${TIMEOUT}`,
        operator: OPERATOR,
        rate: 100,
      });
      const after = await env.groupOffsets();
      // The replay command commits nothing: the main group's offsets (on the source topic) are identical. The
      // tier groups may already be consuming what was replayed, so their offsets can only have moved forward.
      assert.equal(committedSum(before[mainGroup.groupId], env.topics.source), 5, 'the snapshot has source offsets');
      assert.deepEqual(after[mainGroup.groupId], before[mainGroup.groupId], 'main group untouched');
      for (const group of env.groups.filter((candidate) => candidate.role === 'retry')) {
        for (const [where, offset] of Object.entries(before[group.groupId] ?? {})) {
          assert.ok(Number(after[group.groupId]?.[where]) >= Number(offset), `${group.groupId} ${where} only forward`);
        }
      }
      assert.deepEqual(
        [summary.matched, summary.replayed, summary.parked, summary.skipped, summary.failed],
        [4, 4, 0, 0, 0],
      );
      assert.equal(await env.endOffset(env.topics.retry1), retry1Before + 4n);

      await eventually(
        async () => {
          const effects = await env.effects();
          const back = await env.endOffset(env.topics.deadLetter);
          const tier1 = committedSum((await env.groupOffsets())[tier1Group.groupId], env.topics.retry1);
          return effects.size === 3 && back === 6n && tier1 === Number(retry1Before) + 4 ? true : undefined;
        },
        20_000,
        'A, B and E handled, C back in the dead-letter topic, tier 1 committed',
      );
      const effects = await env.effects();
      assert.deepEqual(
        [a, b, e].map((orderId) => effects.get(orderId)),
        [
          { count: 1, topics: env.topics.retry1 },
          { count: 1, topics: env.topics.retry1 },
          { count: 1, topics: env.topics.retry2 },
        ],
        'each handled once; E failed once more in tier 1 and got its next tier instead of the dead-letter topic',
      );
      assert.equal(effects.has(c), false);
      // Tier 1 holds E's first retry (before the replay) and the four replayed copies.
      const replayed = (await env.read(env.topics.retry1)).filter((record) =>
        record.headers.has(FAILURE_HEADERS.replayedAt),
      );
      assert.equal(replayed.length, 4);
      for (const record of replayed) {
        const original = records.find((r) => r.key === record.key);
        assert.equal(header(record, 'event-id'), original?.meta.eventId, 'original event id');
        assert.deepEqual(record.value, original?.value, 'original value');
        assert.equal(header(record, FAILURE_HEADERS.replayCount), '1');
        assert.equal(header(record, FAILURE_HEADERS.replayedBy), OPERATOR);
        assert.equal(header(record, FAILURE_HEADERS.attempts), '1', 'attempts reset to those of tier 1');
        assert.equal(header(record, FAILURE_HEADERS.retryNotBefore), undefined, 'due at once');
      }
      const back = (await env.read(env.topics.deadLetter)).at(-1);
      assert.equal(back?.key, c);
      assert.equal(header(back, FAILURE_HEADERS.replayCount), '1', 'returns with its replay count');
      assert.equal(header(back, FAILURE_HEADERS.originalTopic), env.topics.source, 'still points at its origin');
      assert.deepEqual(
        (await env.auditRows()).map((row) => [row.record_key, row.replay_count, row.target_topic, row.operator]).sort(),
        [a, b, c, e].map((key) => [key, 1, env.topics.retry1, OPERATOR]).sort(),
      );
      // The run itself, as the console's history reads it: its rate and its summary.
      const audit = await ReplayAudit.open(env.context.databaseUrl, env.context.auditDatabase);
      try {
        const [run] = await audit.recentRuns(env.context.namespace.prefix, 1);
        assert.equal(run?.runId, summary.runId);
        assert.equal(run?.ratePerSecond, 100);
        assert.equal(run?.operator, OPERATOR);
        assert.deepEqual(run?.summary, { matched: 4, replayed: 4, parked: 0, skipped: 0, failed: 0 });
        assert.deepEqual(await audit.recentRuns('another-namespace', 10), []);
      } finally {
        await audit.close();
      }
    },
  );

  await t.test(
    'replaying a record again should raise its replay count while the inbox keeps its effect at one',
    async () => {
      const summary = await dltReplay(env.context, { key: a, operator: OPERATOR });
      assert.equal(summary.replayed, 1);
      assert.equal(summary.decisions[0]?.record.key, a);
      assert.equal(summary.decisions[0]?.action === 'replay' && summary.decisions[0].replayCount, 2);
      await eventually(
        async () =>
          committedSum((await env.groupOffsets())[tier1Group.groupId], env.topics.retry1) ===
          Number(await env.endOffset(env.topics.retry1))
            ? true
            : undefined,
        20_000,
        'tier 1 consumed the second replay',
      );
      assert.equal((await env.effects()).get(a)?.count, 1);
    },
  );

  await t.test('a record that keeps failing should be parked at the maximum replays unless forced', async () => {
    const retryEnd = await env.endOffset(env.topics.retry1);
    const parked = await dltReplay(env.context, { key: c, operator: OPERATOR, maxReplays: 1 });
    assert.deepEqual(
      [parked.matched, parked.replayed, parked.parked, parked.skipped, parked.failed],
      [2, 0, 1, 1, 0],
      'the older copy is superseded, the latest is parked',
    );
    assert.equal(await env.endOffset(env.topics.retry1), retryEnd, 'nothing published');

    const forced = await dltReplay(env.context, { key: c, operator: OPERATOR, maxReplays: 1, force: true });
    assert.equal(forced.replayed, 1);
    assert.equal(forced.decisions.find((d) => d.action === 'replay')?.action === 'replay', true);
    await eventually(
      async () => ((await env.endOffset(env.topics.deadLetter)) === 7n ? true : undefined),
      20_000,
      'C back again',
    );
    const back = (await env.read(env.topics.deadLetter)).at(-1);
    assert.equal(header(back, FAILURE_HEADERS.replayCount), '2');
  });

  await t.test(
    'replay --to source should warn loudly that every reader of the source topic gets the records',
    async () => {
      env.warnings.length = 0;
      const summary = await dltReplay(env.context, { key: d, operator: OPERATOR, to: 'source', dryRun: true });
      assert.equal(summary.decisions[0]?.action === 'replay' && summary.decisions[0].target.topic, env.topics.source);
      assert.match(env.warnings.join(''), /WARNING: replaying into a SOURCE topic/);
    },
  );

  await t.test(
    'a replay whose audit row cannot be written should publish nothing, stop and report the failure',
    async () => {
      // One fault at one seam: the audit database refuses D's row.
      await env.auditDb.pool.query(
        `ALTER TABLE dlt_replays ADD CONSTRAINT test_refuse_d CHECK (record_key IS DISTINCT FROM '${d}')`,
      );
      const retryEnd = await env.endOffset(env.topics.retry1);
      const summary = await dltReplay(env.context, { consumer: 'reserveStock', key: d, operator: OPERATOR });
      assert.deepEqual([summary.matched, summary.replayed, summary.failed], [1, 0, 1]);
      assert.match(summary.error ?? '', /test_refuse_d/);
      assert.equal(await env.endOffset(env.topics.retry1), retryEnd, 'nothing published without its audit row');
    },
  );

  await t.test(
    'the CLI should list, reject bad options and fail a failed run with exit 1, and never create a group',
    async () => {
      const cliEnv = {
        ...process.env,
        KAFKA_BOOTSTRAP_SERVERS: env.context.connection.bootstrapServers.join(','),
        DATABASE_URL: env.context.databaseUrl,
      };
      const listed = await run(
        process.execPath,
        [CLI, 'dlt', 'list', '--namespace', env.namespace.prefix, '--code', 'CTR_NOT_JSON', '--json'],
        { env: cliEnv },
      );
      assert.deepEqual(
        (JSON.parse(listed.stdout) as { key: string }[]).map((r) => r.key),
        [d],
      );
      await assert.rejects(
        run(
          process.execPath,
          [CLI, 'dlt', 'replay', '--namespace', env.namespace.prefix, '--operator', OPERATOR, '--since', 'yesterday'],
          {
            env: cliEnv,
          },
        ),
        (error: { code?: number; stderr?: string }) => error.code === 1 && /is not a time/.test(error.stderr ?? ''),
      );
      await assert.rejects(
        run(
          process.execPath,
          [CLI, 'dlt', 'replay', '--namespace', env.namespace.prefix, '--key', d, '--operator', OPERATOR],
          { env: { ...cliEnv, DLT_AUDIT_DATABASE: env.auditDb.name } },
        ),
        (error: { code?: number; stdout?: string; stderr?: string }) =>
          error.code === 1 && /failed 1/.test(error.stdout ?? '') && /replay stopped at/.test(error.stderr ?? ''),
        'a failed run exits non-zero',
      );
      const groups = await env.admin.listGroups();
      assert.equal(groups.has(READER_CLIENT_GROUP_ID), false, 'the reader never joined a group');
    },
  );
});
