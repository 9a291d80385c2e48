import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Kafka 4 brokers and tools need Java 17 (KIP-750 / KIP-1013). */
export const MIN_JAVA_MAJOR = 17;

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this PATH entry; keep looking.
    }
  }
  return undefined;
}

/** JAVA_HOME wins over PATH, as in Kafka's own kafka-run-class.sh. */
export function javaExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome ?? findOnPath('java', env);
  if (!java) {
    throw new Error(
      `Java ${MIN_JAVA_MAJOR}+ is required to run Kafka but no "java" was found on PATH (and JAVA_HOME is unset). ` +
        'Install a JDK, e.g. "apt-get install openjdk-17-jre-headless" or "brew install openjdk@17".',
    );
  }
  return java;
}

export function mavenExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const mvn = findOnPath('mvn', env);
  if (!mvn) {
    throw new Error(
      'Maven ("mvn") is required once to download Kafka from Maven Central but it is not on PATH. ' +
        'Install it, e.g. "apt-get install maven" or "brew install maven", or point KAFKA_CACHE_DIR at an existing cache.',
    );
  }
  return mvn;
}

let checkedJava: string | undefined;

/** Fails early with an actionable message instead of a JVM UnsupportedClassVersionError deep in a log. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): string {
  const java = javaExecutable(env);
  if (checkedJava === java) return java;
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`Could not run ${java}: ${result.error.message}`);
  }
  // "openjdk version "17.0.15"", "java version "1.8.0_392"" or "openjdk version "21" 2023-09-19".
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= MIN_JAVA_MAJOR)) {
    throw new Error(`Kafka needs Java ${MIN_JAVA_MAJOR}+, but ${java} reports: ${result.stderr.split('\n')[0]}`);
  }
  checkedJava = java;
  return java;
}
