import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** infra/kafka, the package that owns pom.xml and the log4j2 configs. */
export const KAFKA_INFRA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Root of the monorepo; derived from this file so it works from any working directory. */
export const REPO_ROOT = resolve(KAFKA_INFRA_DIR, '..', '..');

export const POM_FILE = join(KAFKA_INFRA_DIR, 'pom.xml');
export const BROKER_LOG4J2_CONFIG = join(KAFKA_INFRA_DIR, 'config', 'log4j2.xml');
export const TOOLS_LOG4J2_CONFIG = join(KAFKA_INFRA_DIR, 'config', 'tools-log4j2.xml');

/** .cache/ and .run/ are gitignored, so resolved jars and broker data never reach a commit. */
export const DEFAULT_CACHE_ROOT = join(REPO_ROOT, '.cache', 'kafka');
export const RUN_ROOT = join(REPO_ROOT, '.run', 'kafka');
export const DEFAULT_SINGLE_DIR = join(RUN_ROOT, 'single');
export const DEFAULT_CLUSTER_DIR = join(RUN_ROOT, 'cluster');

/** KAFKA_CACHE_DIR replaces .cache/kafka, e.g. to share one download between checkouts. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.KAFKA_CACHE_DIR?.trim();
  return override ? resolve(override) : DEFAULT_CACHE_ROOT;
}
