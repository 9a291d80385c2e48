import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often liveness is re-checked while waiting for a process to exit. */
const EXIT_POLL_INTERVAL_MS = 100;

/** Kafka flushes and closes its logs on SIGTERM; a few seconds is typical, this is the patience limit. */
export const DEFAULT_STOP_GRACE_MS = 30_000;
/** After SIGKILL the kernel needs only moments; anything longer means the pid is not ours to wait for. */
const KILL_WAIT_MS = 5_000;

function procFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie waiting to be reaped by some other parent. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = procFile(pid, 'stat');
  // Field 3 of /proc/<pid>/stat is the state; the command name before it is parenthesised.
  const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z';
}

/**
 * Guards against pid reuse: a stale pid file may point at an unrelated process by now. Where /proc
 * is unavailable (macOS) the pid is trusted.
 */
export function isKafkaProcess(pid: number, propertiesFile: string): boolean {
  if (!isProcessAlive(pid)) return false;
  const cmdline = procFile(pid, 'cmdline');
  if (cmdline === undefined) return true;
  const args = cmdline.split('\0');
  return args.includes('kafka.Kafka') && args.includes(propertiesFile);
}

export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(EXIT_POLL_INTERVAL_MS);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM for a clean shutdown, SIGKILL if it does not finish in time. Returns how it ended. */
export async function terminateProcess(
  pid: number,
  graceMs: number = DEFAULT_STOP_GRACE_MS,
): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isProcessAlive(pid)) return 'not-running';
  signal(pid, 'SIGTERM');
  if (await waitForProcessExit(pid, graceMs)) return 'terminated';
  signal(pid, 'SIGKILL');
  if (await waitForProcessExit(pid, KILL_WAIT_MS)) return 'killed';
  throw new Error(`Process ${pid} is still alive after SIGKILL`);
}
