/**
 * One process of one service, as `npm start` runs it, that a fault can kill, freeze and bring back. Several
 * instances of a service share its database and Kafka namespace (and so its consumer groups); each listens
 * on its own port. Tools import no service, so the entry points come from stack-processes.ts and the
 * processes are spawned, never imported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackProcessLabel } from '../load/stack-processes.ts';

/** An instance that is not healthy this long after spawning fails its start. */
export const INSTANCE_READY_TIMEOUT_MS = 90_000;
/** Grace between SIGTERM and SIGKILL for a graceful stop (a rolling restart). */
export const INSTANCE_STOP_TIMEOUT_MS = 20_000;
const HEALTH_POLL_MS = 200;
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export interface ServiceInstanceSpec {
  label: StackProcessLabel;
  /** 0-based, per service. */
  index: number;
  entry: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** File the instance's stdout and stderr are appended to (every incarnation). */
  logFile: string;
}

export class ServiceInstance {
  readonly spec: ServiceInstanceSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  /** Set by stop/kill: an exit that follows is expected. */
  #expectExit = false;
  /** Called when the process exits without having been told to. */
  onUnexpectedExit: ((instance: ServiceInstance, code: number | null, signal: string | null) => void) | undefined;

  constructor(spec: ServiceInstanceSpec) {
    this.spec = spec;
  }

  get name(): string {
    return `${this.spec.label}-${this.spec.index + 1}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.alive ? this.#child?.pid : undefined;
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the process (not waiting for it to be healthy). */
  spawn(): void {
    if (this.alive) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    const fd = openSync(this.spec.logFile, 'a');
    const child = spawn(process.execPath, [this.spec.entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.spec.env, PORT: String(this.spec.port) },
      stdio: ['ignore', fd, fd],
    });
    this.#expectExit = false;
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.#expectExit) this.onUnexpectedExit?.(this, code, signal);
        resolve();
      }),
    );
  }

  /** Resolves once /health answers; fails when the process exits first or the time runs out. */
  async waitHealthy(timeoutMs = INSTANCE_READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (!this.alive) throw new Error(`${this.name} exited during start-up (see ${this.spec.logFile})`);
      const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${this.name} not healthy at ${this.url}/health`);
      await sleep(HEALTH_POLL_MS);
    }
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitHealthy();
  }

  /** Sends `signal` without waiting (SIGSTOP/SIGCONT freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  /** SIGKILL, and waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.#expectExit = true;
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (the service drains, commits and leaves its groups), SIGKILL after the grace period. */
  async stop(graceMs = INSTANCE_STOP_TIMEOUT_MS): Promise<void> {
    if (!this.alive) return;
    this.#expectExit = true;
    this.#child?.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
