import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { TEST_AUTH_SECRET } from './auth.ts';
import { eventually } from './eventually.ts';

/** packages/test-support/src/ → the repository root, against which service entries are resolved. */
const REPO_ROOT = new URL('../../..', import.meta.url);
/** A child service that is not healthy this long after spawning fails the test. */
const CHILD_READY_TIMEOUT_MS = 30_000;

export interface ChildService {
  url: string;
  /** Sends the signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Lines the child wrote (pino JSON), for assertions and for failure messages. */
  output: string[];
}

/**
 * Runs a service as its own process (as `npm start` does), so a test can SIGKILL it at a chosen moment.
 * The caller owns the database (same DATABASE_NAME across restarts); the process is killed after the test.
 */
export async function spawnService(
  t: TestContext,
  entry: string,
  port: number,
  env: Record<string, string>,
): Promise<ChildService> {
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      // The test's secret, never an authentication source of the developer's shell (two would be refused).
      AUTH_JWT_SECRET: TEST_AUTH_SECRET,
      AUTH_JWT_SECRET_FILE: '',
      AUTH_JWKS_URL: '',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${entry} exited during start-up:\n${output.join('\n')}`);
      const response = await fetch(`${url}/health`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    CHILD_READY_TIMEOUT_MS,
    `${entry} healthy`,
  );
  return {
    url,
    output,
    async kill(signal) {
      child.kill(signal);
      await exited;
    },
  };
}
