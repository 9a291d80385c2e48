/**
 * The four services as separate processes, exactly as `npm start` runs them, on their own ports, databases
 * and Kafka namespace: a private copy of the stack beside anybody else's. Tools import no service, so the
 * entry points are named here and the services are spawned, never imported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackUrls } from './stack-client.ts';

/** Same processes and order as `npm start` (scripts/stack.ts). */
export const STACK_PROCESSES = [
  { label: 'order', entry: 'services/order/src/main.ts', offset: 1, database: 'orders' },
  { label: 'inventory', entry: 'services/inventory/src/main.ts', offset: 2, database: 'inventory' },
  { label: 'payment', entry: 'services/payment/src/main.ts', offset: 3, database: 'payments' },
  { label: 'notification', entry: 'services/notification/src/main.ts', offset: 4, database: 'notifications' },
] as const;
export type StackProcessLabel = (typeof STACK_PROCESSES)[number]['label'];

/** A service not healthy this long after spawning fails the start. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const HEALTH_POLL_MS = 200;
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export interface StackProcessOptions {
  /** Kafka namespace; also the databases' prefix (`<namespace>_orders`, …, with '-' as '_'). */
  namespace: string;
  /** Services listen on base+1 (order) … base+4 (notification). */
  basePort: number;
  logLevel?: string;
  /** Extra node arguments for every service, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  /** Share of charges the Payment Service's simulated gateway declines (0–1). Default 0. */
  declineRate?: number;
  /** Extra environment (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, …) over this process's. */
  env?: NodeJS.ProcessEnv;
  /** Where the services' stdout/stderr go: 'inherit' (default) or a file descriptor per service. */
  output?: 'inherit' | ((label: StackProcessLabel) => number);
  /** The HS256 secret the services verify tokens with (returned in `urls`). Default: a new random one. */
  authSecret?: string;
  /** Called when a service exits before stop() was called. */
  onUnexpectedExit?(label: StackProcessLabel, code: number | null): void;
}

export interface StackProcesses {
  urls: StackUrls;
  pids: Record<StackProcessLabel, number>;
  databases: Record<StackProcessLabel, string>;
  stop(): Promise<void>;
}

export function stackDatabaseName(namespace: string, database: string): string {
  return `${namespace.replaceAll('-', '_')}_${database}`;
}

/** Spawns the services and resolves once every one answers /health; stops them all if one does not. */
export async function startStackProcesses(options: StackProcessOptions): Promise<StackProcesses> {
  // A private stack gets its own secret; the load generator (in-process or a worker) signs with it.
  const authSecret = options.authSecret ?? randomBytes(32).toString('hex');
  const children: Array<{ label: StackProcessLabel; child: ChildProcess }> = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(
      children.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  const exits = new Map<StackProcessLabel, number | null>();
  for (const service of STACK_PROCESSES) {
    const fd = typeof options.output === 'function' ? options.output(service.label) : undefined;
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), service.entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...options.env,
        PORT: String(options.basePort + service.offset),
        DATABASE_NAME: stackDatabaseName(options.namespace, service.database),
        KAFKA_NAMESPACE: options.namespace,
        LOG_LEVEL: options.logLevel ?? 'warn',
        SEED_DEMO_CATALOG: 'true',
        PAYMENT_DECLINE_RATE: String(options.declineRate ?? 0),
        AUTH_JWT_SECRET: authSecret,
        AUTH_JWT_SECRET_FILE: '',
        AUTH_JWKS_URL: '',
      },
      stdio: fd === undefined ? ['ignore', 'inherit', 'inherit'] : ['ignore', fd, fd],
    });
    children.push({ label: service.label, child });
    child.once('exit', (code) => {
      exits.set(service.label, code);
      if (!stopping) options.onUnexpectedExit?.(service.label, code);
    });
  }
  const url = (offset: number) => `http://127.0.0.1:${options.basePort + offset}`;
  try {
    for (const service of STACK_PROCESSES) {
      const health = `${url(service.offset)}/health`;
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (true) {
        if (exits.has(service.label)) {
          throw new Error(`${service.label} exited (code ${exits.get(service.label)}) during start-up`);
        }
        const ok = await fetch(health).then(
          (response) => response.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`${service.label} not healthy at ${health}`);
        await sleep(HEALTH_POLL_MS);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const pids = Object.fromEntries(children.map(({ label, child }) => [label, child.pid ?? 0])) as Record<
    StackProcessLabel,
    number
  >;
  const databases = Object.fromEntries(
    STACK_PROCESSES.map((s) => [s.label, stackDatabaseName(options.namespace, s.database)]),
  ) as Record<StackProcessLabel, string>;
  return {
    urls: { order: url(1), inventory: url(2), payment: url(3), notification: url(4), authSecret },
    pids,
    databases,
    stop,
  };
}
