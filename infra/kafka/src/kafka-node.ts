import { mkdirSync, writeFileSync } from 'node:fs';
import { adoptBroker, type BrokerProcess, launchBroker } from './broker-process.ts';
import type { SaslCredentials } from './broker-security.ts';
import { assertPortsFree } from './free-ports.ts';
import type { HeapSettings } from './jvm-options.ts';
import { advertisedAddress } from './loopback.ts';
import type { NodeLayout } from './node-layout.ts';
import { readPidFile, removePidFile } from './pid-file.ts';
import { DEFAULT_STOP_GRACE_MS, terminateProcess, waitForProcessExit } from './process-control.ts';
import { type NodeConfig, renderServerProperties } from './server-properties.ts';

/** How a node's JVM is started; shared by all nodes of one single broker or cluster. */
export interface NodeRuntime {
  java: string;
  classpath: string;
  heap: HeapSettings;
  detached: boolean;
  echo?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** One combined broker+controller node, across restarts of its JVM. */
export class KafkaNode {
  readonly nodeId: number;
  readonly clientPort: number;
  readonly controllerPort: number;
  /** host:port clients can bootstrap from. */
  readonly bootstrapServer: string;
  readonly layout: NodeLayout;
  /** The provisioner's login, for readiness checks against this node. */
  readonly adminSasl: SaslCredentials;
  readonly #config: NodeConfig;
  readonly #runtime: NodeRuntime;
  #process: BrokerProcess | undefined;

  constructor(config: NodeConfig, runtime: NodeRuntime) {
    this.nodeId = config.nodeId;
    this.clientPort = config.clientPort;
    this.controllerPort = config.controllerPort;
    this.bootstrapServer = advertisedAddress(config.clientPort);
    this.layout = config.layout;
    this.adminSasl = config.security.admin;
    this.#config = config;
    this.#runtime = runtime;
  }

  /** pid of the current JVM, or undefined when it is not running. */
  get pid(): number | undefined {
    return this.isRunning() ? this.#process?.pid : undefined;
  }

  /** Resolves when the current JVM exits; undefined when none is running. */
  get exited(): Promise<string> | undefined {
    return this.isRunning() ? this.#process?.exited : undefined;
  }

  isRunning(): boolean {
    return this.#process !== undefined && !this.#process.hasExited();
  }

  /** Rewritten on every start so option changes (ports, overrides) take effect. */
  writeProperties(): void {
    mkdirSync(this.layout.dir, { recursive: true });
    // It holds the broker's and the controller listener's passwords.
    writeFileSync(this.layout.propertiesFile, renderServerProperties(this.#config), { mode: 0o600 });
  }

  /** Picks up a JVM left running by an earlier detached start; false if there is none. */
  adoptRunning(): boolean {
    const pid = readPidFile(this.layout.pidFile);
    if (pid === undefined) return false;
    const adopted = adoptBroker(pid, this.layout);
    if (!adopted) {
      // Stale: the broker died without "stop" (crash, reboot) or the pid now belongs to something else.
      removePidFile(this.layout.pidFile, pid);
      return false;
    }
    this.#process = adopted;
    return true;
  }

  /** Spawns the JVM with the node's existing data dir; storage must already be formatted. */
  async launch(): Promise<void> {
    if (this.isRunning()) throw new Error(`Kafka node ${this.nodeId} is already running (pid ${this.pid})`);
    await assertPortsFree([this.clientPort, this.controllerPort], `Kafka node ${this.nodeId}`);
    this.writeProperties();
    this.#process = launchBroker({ ...this.#runtime, layout: this.layout });
  }

  /** Sends a signal without waiting; SIGKILL simulates a crashed broker. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  async waitForExit(timeoutMs: number = DEFAULT_STOP_GRACE_MS): Promise<boolean> {
    const proc = this.#process;
    // An exited JVM's pid may already belong to another process, so it is never looked at again.
    if (!proc || proc.hasExited()) return true;
    const gone = await waitForProcessExit(proc.pid, timeoutMs);
    // waitForProcessExit counts a zombie as gone; our own child is done once Node has reaped it.
    if (gone && !proc.hasExited()) {
      proc.holdUntilExit();
      await proc.exited;
    }
    return gone;
  }

  /** SIGTERM for a clean shutdown, SIGKILL after graceMs. */
  async stop(graceMs: number = DEFAULT_STOP_GRACE_MS): Promise<void> {
    const proc = this.#process;
    if (!proc) return;
    if (!proc.hasExited()) {
      await terminateProcess(proc.pid, graceMs);
      if (!proc.hasExited()) {
        proc.holdUntilExit();
        await proc.exited;
      }
    }
    removePidFile(this.layout.pidFile, proc.pid);
  }
}
