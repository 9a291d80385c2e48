import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CLUSTER_DIR, DEFAULT_SINGLE_DIR } from './repo-paths.ts';

/** The two local setups: the everyday single broker and the three-node cluster for fault testing. */
export type InstanceKind = 'single' | 'cluster';

/** Node directories of an instance as laid out by startSingleBroker/startCluster. */
export function instanceNodeDirs(kind: InstanceKind, dataDir?: string): string[] {
  if (kind === 'single') return [dataDir ?? DEFAULT_SINGLE_DIR];
  const root = dataDir ?? DEFAULT_CLUSTER_DIR;
  try {
    return readdirSync(root)
      .filter((name) => /^node-\d+$/.test(name))
      .sort((a, b) => Number(a.slice('node-'.length)) - Number(b.slice('node-'.length)))
      .map((name) => join(root, name));
  } catch {
    return [];
  }
}
