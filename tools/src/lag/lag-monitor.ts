import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KafkaConnection } from '@shop/platform';
import { Gauge, Registry } from 'prom-client';
import { STATUS_SEVERITY, type StatusOptions } from './burrow-status.ts';
import { type GroupLag, type GroupTopics, LagReader } from './lag-reader.ts';
import { LagTracker } from './lag-sample.ts';

/** Default time between two readings of every group. */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;
/** Seconds per millisecond, for the `_seconds` gauge. */
const MS_PER_SECOND = 1_000;

export interface LagMonitorOptions {
  connection: KafkaConnection;
  groups: readonly GroupTopics[];
  /** Time between readings. Default DEFAULT_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** Status window; `stopAfterMs` defaults to the window's duration (windowSamples × pollIntervalMs). */
  status?: StatusOptions;
  /** Default: a fresh registry, served at /metrics. */
  registry?: Registry;
}

/**
 * Polls the lag of `groups` and exports it as Prometheus gauges. Every reading replaces the previous one
 * whole (reset, then set, synchronously, so a scrape never sees half a reading and vanished partitions
 * disappear). A failed reading exports status ERR for every group and keeps the process polling.
 */
export class LagMonitor {
  readonly registry: Registry;
  readonly #options: LagMonitorOptions;
  readonly #reader: LagReader;
  readonly #tracker: LagTracker;
  readonly #gauges;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  constructor(options: LagMonitorOptions) {
    this.#options = options;
    this.registry = options.registry ?? new Registry();
    this.#reader = new LagReader(options.connection);
    const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const windowSamples = options.status?.windowSamples;
    this.#tracker = new LagTracker({
      ...(windowSamples === undefined ? {} : { stopAfterMs: windowSamples * interval }),
      ...options.status,
    });
    const registers = [this.registry];
    const partitionLabels = ['group', 'topic', 'partition'] as const;
    this.#gauges = {
      lag: new Gauge({
        name: 'kafka_consumergroup_lag',
        help: 'Records behind the log end',
        labelNames: partitionLabels,
        registers,
      }),
      lagSeconds: new Gauge({
        name: 'kafka_consumergroup_lag_seconds',
        help: 'Now minus the timestamp of the first unconsumed record (0 when caught up)',
        labelNames: partitionLabels,
        registers,
      }),
      committed: new Gauge({
        name: 'kafka_consumergroup_committed_offset',
        help: 'Committed offset',
        labelNames: partitionLabels,
        registers,
      }),
      logEnd: new Gauge({
        name: 'kafka_consumergroup_log_end_offset',
        help: 'Log-end offset',
        labelNames: partitionLabels,
        registers,
      }),
      members: new Gauge({
        name: 'kafka_consumergroup_members',
        help: 'Active group members',
        labelNames: ['group'],
        registers,
      }),
      status: new Gauge({
        name: 'kafka_consumergroup_status',
        help: `1 for the group's current Burrow-style status (${STATUS_SEVERITY.join(', ')}), 0 for the others`,
        labelNames: ['group', 'status'],
        registers,
      }),
    };
  }

  /** One reading of every group, exported. */
  async poll(): Promise<void> {
    let readings: GroupLag[];
    try {
      readings = await this.#reader.read(this.#options.groups);
    } catch (error) {
      // The cluster could not be read at all: every group is ERR until a reading succeeds.
      readings = this.#options.groups.map((entry) => ({
        group: entry.group,
        state: 'Unknown',
        members: 0,
        partitions: [],
        readAt: Date.now(),
        error: (error as Error).message,
      }));
    }
    this.#tracker.add(readings);
    this.#export(readings);
  }

  #export(readings: readonly GroupLag[]): void {
    const statuses = this.#tracker.statuses();
    for (const gauge of Object.values(this.#gauges)) gauge.reset();
    for (const reading of readings) {
      if (reading.state !== 'Unknown') this.#gauges.members.set({ group: reading.group }, reading.members);
      const current = statuses.get(reading.group) ?? 'UNKNOWN';
      for (const status of STATUS_SEVERITY) {
        this.#gauges.status.set({ group: reading.group, status }, status === current ? 1 : 0);
      }
      for (const p of reading.partitions) {
        const labels = { group: reading.group, topic: p.topic, partition: String(p.partition) };
        this.#gauges.logEnd.set(labels, Number(p.logEndOffset));
        // A partition never committed has no lag (kafka-consumer-groups prints '-'): no sample, not 0.
        if (p.committedOffset !== undefined) this.#gauges.committed.set(labels, Number(p.committedOffset));
        if (p.lag !== undefined) this.#gauges.lag.set(labels, Number(p.lag));
        if (p.timeLagMs !== undefined) this.#gauges.lagSeconds.set(labels, p.timeLagMs / MS_PER_SECOND);
      }
    }
  }

  /** Polls now and then every interval until stop(); polls never overlap. */
  start(): void {
    const interval = this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const loop = async () => {
      this.#polling = this.poll();
      await this.#polling;
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), interval);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
    await this.#reader.close();
  }
}

/** Serves `GET /metrics` of `registry` and `GET /health` on host:port (port 0: a free one); anything else is 404. */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host: string,
): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","service":"lag-monitor"}');
      return;
    }
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { url: `http://${host}:${address.port}`, server };
}
