import { spawn } from 'node:child_process';
import { requireJava } from './executables.ts';
import { toolJvmOptions } from './jvm-options.ts';

export interface JavaRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunJavaMainOptions {
  classpath: string;
  /** Defaults to the fast-starting tool options. */
  jvmOptions?: string[];
  /** 'capture' collects stdout/stderr; 'inherit' lets an interactive tool talk to the terminal. */
  stdio?: 'capture' | 'inherit';
  env?: NodeJS.ProcessEnv;
}

/** Runs a Java main class to completion; never rejects on a non-zero exit, the caller decides. */
export async function runJavaMain(
  mainClass: string,
  args: readonly string[],
  options: RunJavaMainOptions,
): Promise<JavaRunResult> {
  const env = options.env ?? process.env;
  const java = requireJava(env);
  const jvmOptions = options.jvmOptions ?? toolJvmOptions();
  const inherit = options.stdio === 'inherit';
  const child = spawn(java, [...jvmOptions, '-cp', options.classpath, mainClass, ...args], {
    env,
    stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    // A signal-killed JVM reports code null; 128 + signal mirrors what a shell would show.
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return { exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
