/**
 * Measures what the outbox relay costs when idle and how soon it publishes a commit. Not part of the test
 * suite (the file name does not end in .test.ts): run it by hand on a quiet machine, one mode at a time.
 *
 *   npx node packages/platform/test/outbox/relay-cost.measure.ts idle [seconds] [relays]   (default 30, 2)
 *   npx node packages/platform/test/outbox/relay-cost.measure.ts latency [writes] (default 20)
 *   npx node packages/platform/test/outbox/relay-cost.measure.ts burst [commits]  (default 2000)
 *
 * idle: one leader and one standby relay (or `relays` of them: 0 gives the process's own baseline) on a
 * fresh database with an empty outbox; reports the CPU of this
 * process and of the database's backends (utime + stime from /proc/<pid>/stat), and the statements per
 * second sent to the database, counted on pg's client (pg_stat_database lags by seconds for a backend that
 * runs one statement a second, so it is no measure here).
 * latency: commit -> broker acknowledgement of one row, for a row committed through inTransaction in this
 * process (the relay is woken after COMMIT) and for a row inserted by a plain pg client (which the relay
 * cannot tell from another process: only its poll finds it), after the relay has been idle for a while and
 * while it is active.
 * burst: `commits` one-row transactions through inTransaction from 8 concurrent callers, as fast as they go;
 * reports the relay's statements per commit (everything but the callers' BEGIN, INSERT and COMMIT).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { testKafkaConnection, testPostgresUrl, uniqueName } from '@shop/test-support';
import pg from 'pg';
import { databaseUrl } from '../../src/config.ts';
import { dropDatabase, ensureDatabase } from '../../src/db/databases.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, inTransaction } from '../../src/db/pool.ts';
import { createAdmin, createProducer, type KafkaProducer } from '../../src/kafka/clients.ts';
import { createLogger } from '../../src/logger.ts';
import { OutboxRelay } from '../../src/outbox/outbox-relay.ts';
import { appendToOutbox, type OutboxMessage } from '../../src/outbox/outbox-writer.ts';
import { platformMigrations } from '../../src/platform-migrations.ts';

const CLOCK_TICKS_PER_SECOND = 100;
const name = uniqueName('t_relaycost', '_').toLowerCase();
let statements = 0;
let relayStatements = 0;
const query = pg.Client.prototype.query;
// Counts every statement sent to the measured database, whatever connection (pool, leader session) sends it.
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (this.database === name) {
    statements++;
    const text = typeof args[0] === 'string' ? args[0] : '';
    if (!/^(BEGIN|COMMIT|INSERT)/.test(text)) relayStatements++;
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
const mode = process.argv[2] ?? 'idle';
const amount = Number(process.argv[3] ?? { idle: 30, latency: 20, burst: 2_000 }[mode]);

async function cpuSeconds(pid: number | 'self'): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

const serverUrl = await testPostgresUrl();
await ensureDatabase(serverUrl, name);
const url = databaseUrl(serverUrl, name);
const pool = createPool(url, { max: 5, applicationName: 'relay-cost' });
await migrate(pool, [platformMigrations]);
const admin = createAdmin(await testKafkaConnection('relay-cost-admin'));
const topic = uniqueName('test.relay-cost');
await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
const producer = createProducer(await testKafkaConnection('relay-cost'));
const acknowledgedAt = new Map<string, number>();
// The relay only calls send(); this records when the broker acknowledged each row (keyed by event id).
const timedProducer = {
  async send(request: Parameters<KafkaProducer['send']>[0]) {
    const result = await producer.send(request);
    const now = performance.now();
    for (const m of request.messages) acknowledgedAt.set(m.key as string, now);
    return result;
  },
} as unknown as KafkaProducer;
const logger = createLogger({ service: 'relay-cost', level: 'silent' });
const relayCount = mode === 'idle' ? Number(process.argv[4] ?? 2) : 2;
const relays = Array.from(
  { length: relayCount },
  () => new OutboxRelay({ pool, databaseUrl: url, producer: timedProducer, logger, service: 'relay-cost' }),
);
for (const relay of relays) relay.start();
while (relayCount > 0 && !relays.some((relay) => relay.isLeader)) await sleep(20);

function message(): OutboxMessage {
  const eventId = randomUUID();
  return { eventId, eventType: 'Measure', topic, key: eventId, payload: Buffer.from('x'), headers: {} };
}

async function waitForAck(key: string): Promise<number> {
  for (;;) {
    const at = acknowledgedAt.get(key);
    if (at !== undefined) return at;
    await sleep(1);
  }
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `n=${samples.length} mean=${mean.toFixed(1)} p50=${at(0.5)} p90=${at(0.9)} max=${sorted.at(-1)?.toFixed(1)} ms`;
}

async function inProcessWrite(): Promise<number> {
  const m = message();
  await inTransaction(pool, (client) => appendToOutbox(client, [m]));
  const committed = performance.now();
  return (await waitForAck(m.key)) - committed;
}

const plain = new pg.Client({ connectionString: url });
await plain.connect();
async function plainClientWrite(): Promise<number> {
  const m = message();
  await plain.query(
    'INSERT INTO outbox (event_id, event_type, topic, message_key, payload, headers) VALUES ($1, $2, $3, $4, $5, $6)',
    [m.eventId, m.eventType, m.topic, m.key, m.payload, JSON.stringify(m.headers)],
  );
  const committed = performance.now();
  return (await waitForAck(m.key)) - committed;
}

try {
  if (mode === 'idle') {
    await sleep(5_000); // past any adaptive short interval: the relay is idle
    const server = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
    await server.connect();
    const stats = async () => {
      const { rows } = await server.query<{ pids: number[] }>(
        `SELECT coalesce(array_agg(pid), '{}') AS pids FROM pg_stat_activity WHERE datname = $1`,
        [name],
      );
      const backends = await Promise.all((rows[0]?.pids ?? []).map((pid) => cpuSeconds(pid).catch(() => 0)));
      return { statements, self: await cpuSeconds('self'), backends, pids: rows[0]?.pids ?? [] };
    };
    const before = await stats();
    await sleep(amount * 1_000);
    const after = await stats();
    // Backends that were there at both ends (the relays' sessions and pool connections).
    const backendCpu = after.pids.reduce((sum, pid, i) => {
      const start = before.pids.indexOf(pid);
      return start === -1 ? sum : sum + (after.backends[i] ?? 0) - (before.backends[start] ?? 0);
    }, 0);
    console.log(
      `idle ${amount} s, ${relayCount} relays: process CPU ${((after.self - before.self) * 1_000).toFixed(0)} ms, ` +
        `database backends CPU ${(backendCpu * 1_000).toFixed(0)} ms (${after.pids.length} backends), ` +
        `${((after.statements - before.statements) / amount).toFixed(2)} statements/s`,
    );
    await server.end();
  } else if (mode === 'burst') {
    await sleep(2_000);
    const before = relayStatements;
    const started = performance.now();
    let next = 0;
    const keys: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < amount) {
          const m = message();
          keys.push(m.key);
          await inTransaction(pool, (client) => appendToOutbox(client, [m]));
        }
      }),
    );
    const committed = performance.now();
    for (const key of keys) await waitForAck(key);
    const published = performance.now();
    console.log(
      `burst of ${amount} commits in ${(committed - started).toFixed(0)} ms, all acknowledged ` +
        `${(published - committed).toFixed(0)} ms after the last: ` +
        `${((relayStatements - before) / amount).toFixed(2)} relay statements per commit`,
    );
  } else {
    for (const [label, write] of [
      ['in-process (inTransaction)', inProcessWrite],
      ['other connection (plain client)', plainClientWrite],
    ] as const) {
      const idle: number[] = [];
      const active: number[] = [];
      for (let i = 0; i < amount; i++) {
        // Idle: a random pause longer than the poll grows back to its maximum within.
        await sleep(3_000 + Math.random() * 500);
        idle.push(await write());
        // Active: right behind another write.
        await sleep(20 + Math.random() * 80);
        active.push(await write());
      }
      console.log(`${label}, after idle: ${summary(idle)}`);
      console.log(`${label}, while active: ${summary(active)}`);
    }
  }
} finally {
  await plain.end();
  await Promise.all(relays.map((relay) => relay.stop()));
  await producer.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.close();
  await pool.end();
  await dropDatabase(serverUrl, name);
}
