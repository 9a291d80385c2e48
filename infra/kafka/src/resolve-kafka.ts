import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mavenExecutable, requireJava } from './executables.ts';
import { kafkaVersion } from './kafka-version.ts';
import { cacheRoot, POM_FILE } from './repo-paths.ts';
import { consoleReporter, type Reporter } from './reporter.ts';

/** Written last, so its presence means every jar it lists was copied completely. */
const MARKER_FILE = '.resolved.json';
/** Shown before the first download so a long silent pause is not mistaken for a hang. */
const APPROXIMATE_DOWNLOAD = '~60 MB of jars plus Maven plugins';
/** How much Maven output to show when resolution fails. */
const FAILURE_OUTPUT_LINES = 40;
const BYTES_PER_MEGABYTE = 1024 * 1024;

export interface ResolvedKafka {
  version: string;
  libsDir: string;
  /** A JVM wildcard classpath (libs/*), valid for -cp. */
  classpath: string;
}

export interface ResolveKafkaOptions {
  report?: Reporter;
  env?: NodeJS.ProcessEnv;
}

interface Marker {
  version: string;
  pomSha256: string;
  jars: string[];
  resolvedAt: string;
}

function pomHash(): string {
  return createHash('sha256').update(readFileSync(POM_FILE)).digest('hex');
}

function isComplete(libsDir: string, version: string, pomSha256: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(libsDir, MARKER_FILE), 'utf8')) as Marker;
    return (
      marker.version === version &&
      marker.pomSha256 === pomSha256 &&
      marker.jars.length > 0 &&
      marker.jars.every((jar) => existsSync(join(libsDir, jar)))
    );
  } catch {
    return false;
  }
}

function toResolved(version: string, libsDir: string): ResolvedKafka {
  return { version, libsDir, classpath: join(libsDir, '*') };
}

/** Streams Maven's batch-mode log, echoing one line per downloaded jar as progress. */
async function runMaven(args: string[], report: Reporter, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(mavenExecutable(env), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let downloadedJars = 0;
  const onLine = (line: string): void => {
    output.push(line);
    if (output.length > FAILURE_OUTPUT_LINES) output.shift();
    const download = /^\[INFO\] Downloaded from \S+: (\S+\.jar) \(([^)]*?)(?: at [^)]*)?\)/.exec(line);
    if (download?.[1]) {
      downloadedJars += 1;
      report(`  downloaded ${download[1].split('/').pop()} (${download[2]})`);
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`Maven failed (exit code ${code}) resolving ${POM_FILE}:\n${output.join('\n')}`);
  }
  if (downloadedJars > 0) report(`Maven downloaded ${downloadedJars} jars`);
}

async function directorySize(dir: string, files: string[]): Promise<number> {
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(dir, file))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * Makes the Kafka broker and tool jars available locally, downloading them with Maven on first use.
 * Cached per version under .cache/kafka/<version>/libs (or KAFKA_CACHE_DIR); later calls only check the marker.
 */
export async function resolveKafka(options: ResolveKafkaOptions = {}): Promise<ResolvedKafka> {
  const env = options.env ?? process.env;
  const report = options.report ?? consoleReporter;
  requireJava(env);
  const version = kafkaVersion();
  const versionDir = join(cacheRoot(env), version);
  const libsDir = join(versionDir, 'libs');
  const pomSha256 = pomHash();
  if (isComplete(libsDir, version, pomSha256)) return toResolved(version, libsDir);

  const startedAt = Date.now();
  report(`Resolving Kafka ${version} from Maven Central into ${libsDir}`);
  report(`(first run only: ${APPROXIMATE_DOWNLOAD}; later runs reuse the cache)`);
  // A per-process staging dir plus rename keeps concurrent resolvers (parallel test files) from
  // ever exposing a half-copied libs dir.
  const staging = join(versionDir, `libs.staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(versionDir, { recursive: true });
  try {
    await runMaven(
      [
        '-B',
        '-f',
        POM_FILE,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
        '-Dmdep.prependGroupId=false',
      ],
      report,
      env,
    );
    const jars = (await readdir(staging)).filter((file) => file.endsWith('.jar')).sort();
    const marker: Marker = { version, pomSha256, jars, resolvedAt: new Date().toISOString() };
    await writeFile(join(staging, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
    const megabytes = (await directorySize(staging, jars)) / BYTES_PER_MEGABYTE;

    if (isComplete(libsDir, version, pomSha256)) {
      report('Another process finished resolving first; using its copy');
    } else {
      await rm(libsDir, { recursive: true, force: true });
      await rename(staging, libsDir);
    }
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    report(`Kafka ${version} resolved: ${jars.length} jars, ${megabytes.toFixed(0)} MB in ${seconds} s`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return toResolved(version, libsDir);
}
