/**
 * Carries out the faults of a schedule on a chaos stack and records when each one began and was healed
 * (wall-clock milliseconds, the same clock as the orders' timestamps on this machine).
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { topic } from '@shop/contracts';
import { createAdmin, OUTBOX_LEADER_LOCK_KEY } from '@shop/platform';
import pg from 'pg';
import type { Reporter } from '../../../infra/kafka/src/index.ts';
import type { StackProcessLabel } from '../load/stack-processes.ts';
import type { ChaosStack } from './chaos-stack.ts';
import { describeFault, type Fault } from './fault-schedule.ts';
import type { ServiceInstance } from './service-instance.ts';

const run = promisify(execFile);
/** The topic and partition whose leader the broker-kill fault takes down. */
export const FAULT_TOPIC = topic('orderPlaced').name;
export const FAULT_PARTITION = 0;

export interface FaultRecord {
  fault: Fault;
  name: string;
  /** What was hit: `broker 2`, `order-2`, `postgres`. */
  target: string;
  startedAtMs: number;
  /** When the fault was undone (broker or instance back and serving, SIGCONT sent, server restarted). */
  healedAtMs: number;
  error?: string;
}

export class FaultInjector {
  readonly #stack: ChaosStack;
  readonly #report: Reporter;

  constructor(stack: ChaosStack, report: Reporter) {
    this.#stack = stack;
    this.#report = report;
  }

  async inject(fault: Fault): Promise<FaultRecord> {
    const name = describeFault(fault);
    const startedAtMs = Date.now();
    let target = '?';
    try {
      switch (fault.kind) {
        case 'kill-partition-leader': {
          const leader = await this.#partitionLeader(`${this.#stack.namespace}.${FAULT_TOPIC}`, FAULT_PARTITION);
          target = `broker ${leader}`;
          this.#report(`fault: SIGKILL ${target} (leader of ${FAULT_TOPIC}/${FAULT_PARTITION})`);
          const node = this.#stack.cluster.node(leader);
          node.kill('SIGKILL');
          await node.waitForExit(10_000);
          await sleep(fault.downSeconds * 1_000);
          await this.#stack.cluster.restart(leader);
          break;
        }
        case 'pause-broker': {
          // A broker other than the last kill's usual victim, leading partitions of the saga's replies.
          const leader = await this.#partitionLeader(`${this.#stack.namespace}.${topic('orderOutcomes').name}`, 0);
          target = `broker ${leader}`;
          this.#report(`fault: SIGSTOP ${target} for ${fault.downSeconds} s`);
          const node = this.#stack.cluster.node(leader);
          node.kill('SIGSTOP');
          await sleep(fault.downSeconds * 1_000);
          node.kill('SIGCONT');
          break;
        }
        case 'kill-instance': {
          const victim = await this.#victim(fault.service);
          target = victim.name;
          this.#report(`fault: SIGKILL ${target} (pid ${victim.pid}) for ${fault.downSeconds} s`);
          await victim.kill();
          await sleep(fault.downSeconds * 1_000);
          await victim.start();
          break;
        }
        case 'restart-postgres':
          target = 'postgres';
          this.#report('fault: restarting PostgreSQL');
          await this.#stack.postgres.restart();
          break;
        case 'rolling-restart':
          target = this.#stack.instances[fault.service].map((instance) => instance.name).join(', ');
          this.#report(`fault: rolling restart of ${target}`);
          for (const instance of this.#stack.instances[fault.service]) {
            await instance.stop();
            await instance.start();
          }
          break;
      }
      const healedAtMs = Date.now();
      this.#report(`fault: ${name} on ${target} healed after ${((healedAtMs - startedAtMs) / 1_000).toFixed(1)} s`);
      return { fault, name, target, startedAtMs, healedAtMs };
    } catch (error) {
      this.#report(`fault: ${name} on ${target} FAILED: ${(error as Error).message}`);
      return { fault, name, target, startedAtMs, healedAtMs: Date.now(), error: (error as Error).message };
    }
  }

  async #partitionLeader(topic: string, partition: number): Promise<number> {
    const admin = createAdmin({
      bootstrapServers: this.#stack.bootstrapServers,
      clientId: 'chaos-faults',
      security: this.#stack.security,
    });
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
      if (leader === undefined || leader < 0) throw new Error(`${topic}/${partition} has no leader`);
      return leader;
    } finally {
      await admin.close();
    }
  }

  /**
   * The instance to kill: the one whose outbox relay leads (the harder case: publishing must move to the
   * other instance), found through the server's lock table and the socket's owner; else the first live one.
   */
  async #victim(service: StackProcessLabel): Promise<ServiceInstance> {
    const live = this.#stack.live(service);
    const first = live[0];
    if (first === undefined) throw new Error(`no live instance of ${service}`);
    const pid = await relayLeaderPid(this.#stack.postgres.url, this.#stack.databases[service]).catch(() => undefined);
    return live.find((instance) => instance.pid !== undefined && instance.pid === pid) ?? first;
  }
}

/** The process holding the outbox leader lock of `database`, by the client port of the session that holds it. */
export async function relayLeaderPid(serverUrl: string, database: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: `${serverUrl}/${database}` });
  await client.connect();
  let port: number | undefined;
  try {
    const { rows } = await client.query<{ client_port: number }>(
      `SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [OUTBOX_LEADER_LOCK_KEY],
    );
    port = rows[0]?.client_port;
  } finally {
    await client.end();
  }
  if (port === undefined || port < 0) return undefined;
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`]);
  const match = /pid=(\d+)/.exec(stdout);
  return match === null ? undefined : Number(match[1]);
}
