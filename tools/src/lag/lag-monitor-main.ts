import { TOOL_PRINCIPALS } from '@shop/contracts/principals';
/**
 * The lag monitor process: `node tools/src/lag/lag-monitor-main.ts`. Polls every catalog consumer group
 * (main and retry tiers, in KAFKA_NAMESPACE) and serves their lag and status at /metrics; `npm start` runs it
 * (scripts/stack.ts). Environment, read once here: KAFKA_BOOTSTRAP_SERVERS, KAFKA_NAMESPACE, LAG_MONITOR_PORT,
 * LAG_MONITOR_HOST, LAG_POLL_INTERVAL_MS, LAG_WINDOW_SAMPLES (STOP after the window's duration).
 */
import { CommonEnvSchema, kafkaConnectionFromEnv, kafkaNamespace, loadEnv, NAMESPACE_PATTERN } from '@shop/platform';
import Type from 'typebox';
import { DEFAULT_WINDOW_SAMPLES } from './burrow-status.ts';
import { DEFAULT_POLL_INTERVAL_MS, LagMonitor, serveMetrics } from './lag-monitor.ts';
import { catalogGroups } from './lag-reader.ts';

/** Default port: the one kafka-exporter-style lag exporters commonly use. */
const DEFAULT_PORT = 9308;
const MIN_POLL_INTERVAL_MS = 500;

const LagMonitorEnvSchema = Type.Object({
  ...CommonEnvSchema.properties,
  KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
  LAG_MONITOR_PORT: Type.Integer({ default: DEFAULT_PORT, minimum: 0, maximum: 65_535 }),
  LAG_MONITOR_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  LAG_POLL_INTERVAL_MS: Type.Integer({ default: DEFAULT_POLL_INTERVAL_MS, minimum: MIN_POLL_INTERVAL_MS }),
  LAG_WINDOW_SAMPLES: Type.Integer({ default: DEFAULT_WINDOW_SAMPLES, minimum: 2 }),
});

const env = loadEnv(LagMonitorEnvSchema);
const monitor = new LagMonitor({
  connection: kafkaConnectionFromEnv(process.env, {
    clientId: 'shop-lag-monitor',
    principal: TOOL_PRINCIPALS.lagReader,
  }),
  groups: catalogGroups(kafkaNamespace(env.KAFKA_NAMESPACE)),
  pollIntervalMs: env.LAG_POLL_INTERVAL_MS,
  status: { windowSamples: env.LAG_WINDOW_SAMPLES },
});
const { url, server } = await serveMetrics(monitor.registry, env.LAG_MONITOR_PORT, env.LAG_MONITOR_HOST);
monitor.start();
process.stderr.write(`lag monitor: ${url}/metrics, polling every ${env.LAG_POLL_INTERVAL_MS} ms\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void monitor.stop();
  });
}
