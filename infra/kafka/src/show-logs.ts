import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type InstanceKind, instanceNodeDirs } from './instance-dirs.ts';
import { nodeLayout } from './node-layout.ts';

/** Enough context to see the last startup or error without scrolling through a whole run. */
const INITIAL_LINES = 100;

/**
 * Prints the broker log(s) and, with follow, keeps printing new lines until interrupted. tail -F
 * also follows log4j2's size-based rollover, which a naive file watch would lose.
 */
export async function showLogs(kind: InstanceKind, follow: boolean, dataDir?: string): Promise<number> {
  const files = instanceNodeDirs(kind, dataDir)
    .map((dir) => nodeLayout(dir).serverLog)
    .filter((file) => existsSync(file));
  if (files.length === 0) {
    console.error(
      `No ${kind} Kafka logs yet (start it with "npm run kafka${kind === 'cluster' ? ':cluster' : ''}:start")`,
    );
    return 1;
  }
  const args = ['-n', String(INITIAL_LINES), ...(follow ? ['-F'] : []), ...files];
  const child = spawn('tail', args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 0));
  });
}
