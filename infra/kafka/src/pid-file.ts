import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/** Removes the file only if it still names this pid, so a newer instance's pid file survives. */
export function removePidFile(file: string, pid?: number): void {
  if (pid !== undefined && readPidFile(file) !== pid) return;
  rmSync(file, { force: true });
}
