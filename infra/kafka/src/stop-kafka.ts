import { type InstanceKind, instanceNodeDirs } from './instance-dirs.ts';
import { nodeLayout } from './node-layout.ts';
import { readPidFile, removePidFile } from './pid-file.ts';
import { DEFAULT_STOP_GRACE_MS, isKafkaProcess, terminateProcess } from './process-control.ts';
import { consoleReporter, type Reporter } from './reporter.ts';

export interface StopKafkaOptions {
  dataDir?: string;
  graceMs?: number;
  report?: Reporter;
}

/**
 * Stops a detached single broker or cluster through its pid files (SIGTERM, SIGKILL after graceMs).
 * Returns how many broker processes were stopped; stale pid files are cleaned up on the way.
 */
export async function stopKafka(kind: InstanceKind, options: StopKafkaOptions = {}): Promise<number> {
  const report = options.report ?? consoleReporter;
  const graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS;
  const results = await Promise.all(
    instanceNodeDirs(kind, options.dataDir).map(async (dir) => {
      const layout = nodeLayout(dir);
      const pid = readPidFile(layout.pidFile);
      if (pid === undefined) return false;
      if (!isKafkaProcess(pid, layout.propertiesFile)) {
        removePidFile(layout.pidFile, pid);
        return false;
      }
      const startedAt = Date.now();
      const how = await terminateProcess(pid, graceMs);
      removePidFile(layout.pidFile, pid);
      report(`Stopped Kafka in ${dir} (pid ${pid}, ${how}) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      return true;
    }),
  );
  const stopped = results.filter(Boolean).length;
  if (stopped === 0) report(`No ${kind === 'single' ? 'single broker' : 'cluster'} Kafka was running`);
  return stopped;
}
