import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerJvmOptions, type HeapSettings } from './jvm-options.ts';
import type { NodeLayout } from './node-layout.ts';
import { removePidFile, writePidFile } from './pid-file.ts';
import { isKafkaProcess, isProcessAlive } from './process-control.ts';

/** A running (or finished) broker JVM, whether we spawned it or found it through its pid file. */
export interface BrokerProcess {
  readonly pid: number;
  /** Resolves once the JVM is gone, with a description such as "exit code 1" or "signal SIGKILL". */
  readonly exited: Promise<string>;
  hasExited(): boolean;
  /**
   * Keeps this process alive until `exited` settles. A detached broker's child handle is unreferenced, so
   * Node does not wait for it; awaiting `exited` with nothing else pending would then end the process with
   * an unsettled await (exit code 13) before the JVM's exit is reaped.
   */
  holdUntilExit(): void;
}

export interface LaunchBrokerOptions {
  java: string;
  classpath: string;
  layout: NodeLayout;
  heap: HeapSettings;
  /** Own session and no pipes to us, so the broker outlives this Node process (npm run kafka:start). */
  detached: boolean;
  /** Also copy the JVM console (warnings and errors only) to our stderr; for foreground mode. */
  echo?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** How often an adopted (not spawned by us) broker is checked for exit. */
const ADOPTED_POLL_INTERVAL_MS = 500;

/**
 * Attached brokers must not outlive the process that owns them (a crashed test run, a Ctrl-C during
 * startup): they would keep holding the ports and the data dir. SIGTERM lets them shut down cleanly
 * on their own, so the next start needs no log recovery; kill() is synchronous, as 'exit' requires.
 */
const attachedChildren = new Set<ChildProcess>();
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let exitHookInstalled = false;

function terminateAttachedChildren(): void {
  for (const child of attachedChildren) child.kill('SIGTERM');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', terminateAttachedChildren);
  // A signal that kills Node skips 'exit' handlers, so signals are caught too. If nobody else
  // listens, the signal is re-raised so the process still dies the way it would have.
  for (const name of FORWARDED_SIGNALS) {
    const onSignal = (): void => {
      terminateAttachedChildren();
      process.removeListener(name, onSignal);
      if (process.listenerCount(name) === 0) process.kill(process.pid, name);
    };
    process.on(name, onSignal);
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

export function launchBroker(options: LaunchBrokerOptions): BrokerProcess {
  const { layout } = options;
  mkdirSync(layout.logsDir, { recursive: true });
  const args = [
    ...brokerJvmOptions(options.heap, layout.logsDir),
    '-cp',
    options.classpath,
    'kafka.Kafka',
    layout.propertiesFile,
  ];
  // Truncated per launch so a failure report shows this run's output only; server.log keeps history.
  const consoleFd = openSync(layout.consoleLog, 'w');
  let child: ChildProcess;
  try {
    child = spawn(options.java, args, {
      cwd: layout.dir,
      env: options.env ?? process.env,
      detached: options.detached,
      stdio: options.echo ? ['ignore', 'pipe', 'pipe'] : ['ignore', consoleFd, consoleFd],
    });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(consoleFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`Could not spawn ${options.java} for the broker in ${layout.dir}`);
  }
  if (options.echo) {
    const file = createWriteStream(layout.consoleLog, { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        file.write(chunk);
        process.stderr.write(chunk);
      });
    }
    child.once('close', () => file.end());
  }
  writePidFile(layout.pidFile, pid);
  if (options.detached) {
    child.unref();
  } else {
    attachedChildren.add(child);
    installExitHook();
  }

  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      attachedChildren.delete(child);
      // A detached broker that died still leaves the pid file; status and start treat it as stale.
      if (!options.detached) removePidFile(layout.pidFile, pid);
      resolve(describeExit(code, signal));
    });
  });
  return { pid, exited, hasExited: () => done, holdUntilExit: () => child.ref() };
}

/** Wraps a broker found through its pid file; returns undefined when that pid is not our broker. */
export function adoptBroker(pid: number, layout: NodeLayout): BrokerProcess | undefined {
  if (!isKafkaProcess(pid, layout.propertiesFile)) return undefined;
  let done = false;
  let held = false;
  const exited = (async () => {
    // Unreferenced timers, unless held: watching a broker we merely found must not keep the CLI from exiting.
    while (isProcessAlive(pid)) await sleep(ADOPTED_POLL_INTERVAL_MS, undefined, { ref: held });
    done = true;
    return 'exited (status unknown: not our child)';
  })();
  return {
    pid,
    exited,
    hasExited: () => done || !isKafkaProcess(pid, layout.propertiesFile),
    holdUntilExit: () => {
      held = true;
    },
  };
}
