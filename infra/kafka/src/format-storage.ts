import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { addScramArgs, type BrokerSecurity } from './broker-security.ts';
import type { NodeLayout } from './node-layout.ts';
import { runJavaMain } from './run-java-main.ts';

/** What kafka-storage.sh runs in Kafka 4.2. */
export const STORAGE_TOOL_CLASS = 'kafka.tools.StorageTool';

/**
 * How the KRaft quorum is bootstrapped (KIP-853 dynamic quorum):
 * - standalone: this node is the only initial controller (single broker);
 * - initialControllers: every node gets the same "id@host:port:directoryId" list (cluster).
 */
export type QuorumBootstrap = { kind: 'standalone' } | { kind: 'initial-controllers'; voters: string };

export function isFormatted(layout: NodeLayout): boolean {
  return existsSync(layout.metaProperties);
}

/** Formats a node's log dir once; an already formatted dir keeps its data and cluster id. */
export async function formatStorage(
  layout: NodeLayout,
  clusterId: string,
  quorum: QuorumBootstrap,
  classpath: string,
  security: BrokerSecurity,
): Promise<void> {
  if (isFormatted(layout)) return;
  await mkdir(layout.dataDir, { recursive: true });
  const quorumArgs = quorum.kind === 'standalone' ? ['--standalone'] : ['--initial-controllers', quorum.voters];
  const result = await runJavaMain(
    STORAGE_TOOL_CLASS,
    ['format', '--cluster-id', clusterId, '--config', layout.propertiesFile, ...quorumArgs, ...addScramArgs(security)],
    { classpath },
  );
  if (result.exitCode !== 0) {
    // The output may echo the --add-scram arguments; never print passwords.
    const redact = (text: string) => text.replaceAll(/password=[^\],\s]+/g, 'password=***');
    throw new Error(
      `Formatting ${layout.dataDir} failed (exit code ${result.exitCode}):\n${redact(result.stdout + result.stderr)}`.trimEnd(),
    );
  }
}
