/**
 * The machine's ceilings, measured in the same run as the sweep so that the sweep's figures can be read
 * against them: what PostgreSQL can commit, what the broker can take from an idempotent acks=all producer,
 * and how long one order takes end to end when nothing else is going on.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAdmin, type KafkaSecurity } from '@shop/platform';
import pg from 'pg';
import { resolveKafka } from '../../../infra/kafka/src/index.ts';
import { TOOLS_LOG4J2_CONFIG } from '../../../infra/kafka/src/repo-paths.ts';
import { runJavaMain } from '../../../infra/kafka/src/run-java-main.ts';
import { withCommandConfig } from '../../../infra/kafka/src/tool-login.ts';
import { percentile } from '../load/latency-recorder.ts';
import { awaitOrder, listProducts, placeOrder, type StackUrls, setAvailable } from '../load/stack-client.ts';
import { readMachineStat, readProcessStat, readProcessTree, ticksToMs } from './proc-stat.ts';

export const PGBENCH_CLIENTS = 8;
/** Rows per statement in the batched variant, which gives PostgreSQL's cost per row rather than per commit. */
export const PGBENCH_BATCH_ROWS = 100;
/** Bytes of payload per pgbench row: about an outbox row's. */
const PGBENCH_PAYLOAD_BYTES = 400;
export const PRODUCER_RECORD_BYTES = 400;
const PRODUCER_PARTITIONS = 6;
/** Orders placed one after the other on the idle stack for the unloaded latency. */
export const IDLE_ORDERS = 5;
const IDLE_AWAIT_SECONDS = 20;

export interface PgbenchCeiling {
  clients: number;
  seconds: number;
  rowsPerCommit: number;
  transactions: number;
  commitsPerSecond: number;
  rowsPerSecond: number;
  /** The private server's CPU (all its processes) per commit and per row. */
  postgresCpuUsPerCommit: number;
  postgresCpuUsPerRow: number;
  /** The whole machine's busy CPU per commit (pgbench's own clients included). */
  machineCpuUsPerCommit: number;
}

export interface ProducerCeiling {
  records: number;
  recordBytes: number;
  partitions: number;
  replicationFactor: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  /** The broker's CPU per record, when the broker runs on this machine. */
  brokerCpuUsPerRecord: number | null;
  /** The last line ProducerPerformance printed, verbatim. */
  summary: string;
}

export interface IdleLatency {
  orders: number;
  placedToFinalMs: number[];
  medianMs: number;
}

/** The whole server's CPU so far: the postmaster, its reaped children and its live ones. */
function postgresTicks(postmasterPid: number): number {
  const tree = readProcessTree(postmasterPid);
  if (tree === undefined) return 0;
  return tree.parent.ticks + tree.parent.childTicks + tree.children.reduce((sum, c) => sum + c.ticks, 0);
}

/** pgbench's backends finish exiting (and their last CPU is counted) within this after pgbench returns. */
const BACKEND_EXIT_MS = 500;

function capture(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(out).toString('utf8') }));
  });
}

/** "number of transactions actually processed: N" and "tps = X (without initial connection time)". */
export function parsePgbenchOutput(output: string): { transactions: number; tps: number } {
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1]);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
  if (!Number.isFinite(transactions) || !Number.isFinite(tps)) {
    throw new Error(`Cannot read pgbench's result:\n${output.slice(-1_500)}`);
  }
  return { transactions, tps };
}

export interface PgbenchOptions {
  binDir: string;
  serverUrl: string;
  port: number;
  postmasterPid: number;
  workDir: string;
  seconds: number;
  rowsPerCommit: number;
}

/**
 * Single-row (or PGBENCH_BATCH_ROWS-row) inserts from PGBENCH_CLIENTS clients, each its own transaction,
 * against the private server with the stack's durability (every commit waits for its WAL flush).
 */
export async function measurePgbench(options: PgbenchOptions): Promise<PgbenchCeiling> {
  const database = 'bench_pgbench';
  const admin = new pg.Client({ connectionString: `${options.serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${database}`);
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: `${options.serverUrl}/${database}` });
  await db.connect();
  await db.query('create table ceiling_rows (id bigserial primary key, payload text not null)');
  await db.end();
  const script = join(options.workDir, `pgbench-${options.rowsPerCommit}.sql`);
  const payload = `repeat('x', ${PGBENCH_PAYLOAD_BYTES})`;
  await writeFile(
    script,
    options.rowsPerCommit === 1
      ? `insert into ceiling_rows (payload) values (${payload});\n`
      : `insert into ceiling_rows (payload) select ${payload} from generate_series(1, ${options.rowsPerCommit});\n`,
  );
  const pgBefore = postgresTicks(options.postmasterPid);
  const machineBefore = readMachineStat();
  const { code, output } = await capture(join(options.binDir, 'pgbench'), [
    '-n',
    '-M',
    'prepared',
    '-c',
    String(PGBENCH_CLIENTS),
    '-j',
    '2',
    '-T',
    String(options.seconds),
    '-f',
    script,
    '-h',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-U',
    'postgres',
    database,
  ]);
  const machineTicks = readMachineStat().busyTicks - machineBefore.busyTicks;
  await new Promise((resolve) => setTimeout(resolve, BACKEND_EXIT_MS));
  const pgTicks = postgresTicks(options.postmasterPid) - pgBefore;
  if (code !== 0) throw new Error(`pgbench exited with ${code}:\n${output.slice(-1_500)}`);
  const { transactions, tps } = parsePgbenchOutput(output);
  await dropPgbenchDatabase(options.serverUrl, database);
  const rows = transactions * options.rowsPerCommit;
  return {
    clients: PGBENCH_CLIENTS,
    seconds: options.seconds,
    rowsPerCommit: options.rowsPerCommit,
    transactions,
    commitsPerSecond: tps,
    rowsPerSecond: tps * options.rowsPerCommit,
    postgresCpuUsPerCommit: (ticksToMs(pgTicks) * 1_000) / transactions,
    postgresCpuUsPerRow: (ticksToMs(pgTicks) * 1_000) / rows,
    machineCpuUsPerCommit: (ticksToMs(machineTicks) * 1_000) / transactions,
  };
}

/**
 * The rows are of no further use, and left behind they would bring an autovacuum worker into the sweep's
 * PostgreSQL CPU.
 */
async function dropPgbenchDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${database} with (force)`);
  } finally {
    await admin.end();
  }
}

/**
 * ProducerPerformance's summary line: "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max
 * latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
 */
export function parseProducerPerformance(output: string): {
  summary: string;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
} {
  const summary = output
    .split('\n')
    .filter((line) => /records sent, [\d.]+ records\/sec/.test(line))
    .at(-1);
  const match =
    summary === undefined
      ? null
      : /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?([\d.]+) ms 99th/.exec(
          summary,
        );
  if (summary === undefined || match === null) {
    throw new Error(`Cannot read ProducerPerformance's result:\n${output.slice(-1_500)}`);
  }
  return {
    summary: summary.trim(),
    recordsPerSecond: Number(match[1]),
    mbPerSecond: Number(match[2]),
    avgLatencyMs: Number(match[3]),
    p99LatencyMs: Number(match[4]),
  };
}

export interface ProducerOptions {
  bootstrapServers: string[];
  /** The provisioner's login; ProducerPerformance gets the same SASL settings. */
  security?: KafkaSecurity;
  topic: string;
  records: number;
  replicationFactor: number;
  brokerPid: number | undefined;
}

/** Kafka's own ProducerPerformance (from the resolved jars): acks=all, idempotent, 400-byte records. */
export async function measureProducer(options: ProducerOptions): Promise<ProducerCeiling> {
  const admin = createAdmin({
    bootstrapServers: options.bootstrapServers,
    clientId: 'bench-ceiling',
    ...(options.security === undefined ? {} : { security: options.security }),
  });
  try {
    await admin.createTopics({
      topics: [options.topic],
      partitions: PRODUCER_PARTITIONS,
      replicas: options.replicationFactor,
    });
    const { classpath } = await resolveKafka({ report: () => {} });
    const brokerBefore = options.brokerPid === undefined ? undefined : readProcessStat(options.brokerPid)?.ticks;
    const args = [
      '--topic',
      options.topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(PRODUCER_RECORD_BYTES),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${options.bootstrapServers.join(',')}`,
      'acks=all',
      'enable.idempotence=true',
    ];
    // The login goes in a properties file: a JAAS value holds '=', which --producer-props cannot carry.
    const result = await withCommandConfig(
      args,
      options.security?.sasl,
      (withLogin) =>
        runJavaMain('org.apache.kafka.tools.ProducerPerformance', withLogin, {
          classpath,
          // A throughput test: the full JIT and G1, unlike the fast-starting options of the short CLI tools.
          jvmOptions: [
            '-Xmx512m',
            '-XX:+UseG1GC',
            '-Djava.awt.headless=true',
            `-Dlog4j2.configurationFile=${TOOLS_LOG4J2_CONFIG}`,
          ],
        }),
      '--producer.config',
    );
    const brokerAfter = options.brokerPid === undefined ? undefined : readProcessStat(options.brokerPid)?.ticks;
    if (result.exitCode !== 0) {
      throw new Error(
        `ProducerPerformance exited with ${result.exitCode}:\n${(result.stdout + result.stderr).slice(-1_500)}`,
      );
    }
    const parsed = parseProducerPerformance(result.stdout);
    return {
      records: options.records,
      recordBytes: PRODUCER_RECORD_BYTES,
      partitions: PRODUCER_PARTITIONS,
      replicationFactor: options.replicationFactor,
      ...parsed,
      brokerCpuUsPerRecord:
        brokerBefore === undefined || brokerAfter === undefined
          ? null
          : (ticksToMs(brokerAfter - brokerBefore) * 1_000) / options.records,
    };
  } finally {
    await admin.deleteTopics({ topics: [options.topic] }).catch(() => undefined);
    await admin.close();
  }
}

/** IDLE_ORDERS orders, one after the other, on the idle stack: placed→final from the Order Service's timestamps. */
export async function measureIdleLatency(urls: StackUrls): Promise<IdleLatency> {
  const products = await listProducts(urls);
  const product = products.reduce((best, p) => (p.available > (best?.available ?? -1) ? p : best), products[0]);
  if (product === undefined) throw new Error('The inventory has no products (the demo catalog was not seeded).');
  if (product.available < IDLE_ORDERS) await setAvailable(urls, product.sku, 1_000);
  const latencies: number[] = [];
  for (let i = 0; i < IDLE_ORDERS; i++) {
    const response = await placeOrder(
      urls,
      {
        customerId: crypto.randomUUID(),
        items: [{ sku: product.sku, quantity: 1 }],
        contact: { email: 'idle@example.com' },
      },
      crypto.randomUUID(),
    );
    if (response.status !== 202) throw new Error(`POST /orders: HTTP ${response.status} ${response.body}`);
    const { orderId } = JSON.parse(response.body) as { orderId: string };
    const view = await awaitOrder(urls, orderId, IDLE_AWAIT_SECONDS);
    if (view.settledAt == null) throw new Error(`Order ${orderId} still ${view.status} after ${IDLE_AWAIT_SECONDS} s`);
    latencies.push(Date.parse(view.settledAt) - Date.parse(view.createdAt));
  }
  return { orders: IDLE_ORDERS, placedToFinalMs: latencies, medianMs: percentile(latencies, 50) ?? 0 };
}
