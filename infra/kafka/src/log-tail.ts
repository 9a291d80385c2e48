import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { NodeLayout } from './node-layout.ts';

/** Enough to hold the last lines of a stack trace without reading a whole multi-MB log. */
const TAIL_BYTES = 64 * 1024;
/** Lines of each log shown in a start failure: enough for the exception and what led to it. */
export const FAILURE_TAIL_LINES = 40;

export function tailLines(file: string, lines: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What to show when a node fails to start or dies: the console output first, it holds JVM-level errors. */
export function describeNodeLogs(layout: NodeLayout, lines: number = FAILURE_TAIL_LINES): string {
  const sections: string[] = [];
  for (const file of [layout.consoleLog, layout.serverLog]) {
    const tail = tailLines(file, lines);
    if (tail.length > 0) sections.push(`--- last ${tail.length} lines of ${file} ---\n${tail.join('\n')}`);
  }
  return sections.length > 0 ? sections.join('\n') : `(no log output in ${layout.logsDir})`;
}
