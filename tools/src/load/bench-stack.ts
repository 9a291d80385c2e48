/**
 * A private copy of the stack for benchmarks, beside anybody's `npm start` on the same machine: the four
 * services as separate processes (as `npm start` runs them) on their own ports, databases and Kafka
 * namespace, against the broker that is already running (never started or stopped here). Ctrl-C (or SIGTERM)
 * stops the services. Then: `npm run load -- --order-url http://127.0.0.1:<base+1> ...` (printed at start).
 *
 *   node tools/src/load/bench-stack.ts --namespace bench1 --base-port 18080
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommonEnvSchema, loadEnv, parseBootstrapServers } from '@shop/platform/config';
import { kafkaNamespace } from '@shop/platform/kafka/namespace';
import { provisionTopics } from '@shop/platform/kafka/provisioning/provision';
import { Command } from 'commander';

/** Same processes and order as `npm start` (scripts/stack.ts); tools import no service, so they are named here. */
const SERVICES = [
  { label: 'order', entry: 'services/order/src/main.ts', offset: 1, database: 'orders' },
  { label: 'inventory', entry: 'services/inventory/src/main.ts', offset: 2, database: 'inventory' },
  { label: 'payment', entry: 'services/payment/src/main.ts', offset: 3, database: 'payments' },
  { label: 'notification', entry: 'services/notification/src/main.ts', offset: 4, database: 'notifications' },
] as const;
/** A service not healthy this long after spawning fails the start. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

const program = new Command('bench-stack')
  .option('--namespace <name>', 'Kafka namespace and database prefix', 'bench')
  .option('--base-port <n>', 'services listen on base+1 (order) … base+4 (notification)', Number, 18_080)
  .option('--log-level <level>', 'services log level', 'warn')
  .option('--node-args <args>', 'extra node arguments for every service, e.g. --cpu-prof', '')
  .option('--decline-rate <0-1>', "share of charges the Payment Service's simulated gateway declines", '0')
  .parse();
const options = program.opts<{
  namespace: string;
  basePort: number;
  logLevel: string;
  nodeArgs: string;
  declineRate: string;
}>();

const env = loadEnv(CommonEnvSchema);
const bootstrapServers = parseBootstrapServers(env.KAFKA_BOOTSTRAP_SERVERS);
const namespace = kafkaNamespace(options.namespace);
await provisionTopics({ connection: { bootstrapServers, clientId: 'bench-stack' }, namespace, apply: true });

const children: ChildProcess[] = [];
let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }),
  );
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));

const prefix = options.namespace.replaceAll('-', '_');
for (const service of SERVICES) {
  const nodeArgs = options.nodeArgs.split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, service.entry], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(options.basePort + service.offset),
      DATABASE_NAME: `${prefix}_${service.database}`,
      KAFKA_NAMESPACE: options.namespace,
      LOG_LEVEL: options.logLevel,
      SEED_DEMO_CATALOG: 'true',
      PAYMENT_DECLINE_RATE: options.declineRate,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  child.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`[bench-stack] ${service.label} exited (code ${code}); stopping\n`);
      void stop(1);
    }
  });
}

for (const service of SERVICES) {
  const url = `http://127.0.0.1:${options.basePort + service.offset}/health`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      process.stderr.write(`[bench-stack] ${service.label} not healthy at ${url}\n`);
      await stop(1);
    }
    await sleep(200);
  }
}
const url = (offset: number) => `http://127.0.0.1:${options.basePort + offset}`;
process.stdout.write(
  `[bench-stack] up; pids ${children.map((child) => child.pid).join(' ')}\n` +
    `[bench-stack] npm run load -- --order-url ${url(1)} --inventory-url ${url(2)} --payment-url ${url(3)} --notification-url ${url(4)}\n`,
);
