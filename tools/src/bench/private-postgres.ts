/**
 * A private PostgreSQL server for one benchmark run: initdb into a directory of the run, started on a free
 * port, stopped and removed at the end. Its own server so that pg_stat_statements and the CPU of its
 * processes belong to the stack under test only, never to whatever else uses the machine's PostgreSQL.
 *
 * Durability is the stack's production setting, stated explicitly rather than inherited: fsync on,
 * synchronous_commit on, full_page_writes on.
 */
import { type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Debian/Ubuntu's location of PostgreSQL 15; PG_BIN_DIR overrides it. */
export const DEFAULT_PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
/** Four services with a few pools each, the sampler and pgbench's clients, with room to spare. */
export const PRIVATE_PG_MAX_CONNECTIONS = 200;
const START_TIMEOUT_SECONDS = 60;
/** initdb and the server refuse to run as root; when we are root they run as this account. */
const UNPRIVILEGED_USER = 'postgres';

export interface PrivatePostgres {
  url: string;
  port: number;
  binDir: string;
  dataDir: string;
  version: string;
  postmasterPid: number;
  settings: Record<string, string>;
  /** Restarts the server (`pg_ctl restart -m fast`: every session is ended), on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function pgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PG_BIN_DIR?.trim() || DEFAULT_PG_BIN_DIR;
}

function idOf(flag: '-u' | '-g', user: string): Promise<number> {
  return run('id', [flag, user]).then((out) => Number(out.trim()));
}

function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(text);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${text.slice(-2_000)}`));
    });
  });
}

/** Runs a PostgreSQL binary, as the unprivileged account when this process is root. */
function runPg(binDir: string, tool: string, args: readonly string[]): Promise<string> {
  const binary = join(binDir, tool);
  if (process.getuid?.() === 0) return run('runuser', ['-u', UNPRIVILEGED_USER, '--', binary, ...args]);
  return run(binary, args);
}

export interface StartPrivatePostgresOptions {
  /** A fresh directory for the data and the log (created; removed by stop()). */
  dir: string;
  port: number;
  binDir?: string;
  maxConnections?: number;
}

export async function startPrivatePostgres(options: StartPrivatePostgresOptions): Promise<PrivatePostgres> {
  const binDir = options.binDir ?? pgBinDir();
  if (!existsSync(join(binDir, 'initdb'))) {
    throw new Error(`No initdb in ${binDir}: install PostgreSQL 15 or set PG_BIN_DIR to its bin directory.`);
  }
  const dataDir = join(options.dir, 'data');
  const logFile = join(options.dir, 'postgres.log');
  await mkdir(options.dir, { recursive: true });
  if (process.getuid?.() === 0) {
    await chown(options.dir, await idOf('-u', UNPRIVILEGED_USER), await idOf('-g', UNPRIVILEGED_USER));
  }
  await runPg(binDir, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const settings: Record<string, string> = {
    port: String(options.port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${options.dir}'`,
    max_connections: String(options.maxConnections ?? PRIVATE_PG_MAX_CONNECTIONS),
    shared_preload_libraries: "'pg_stat_statements'",
    'pg_stat_statements.max': '10000',
    'pg_stat_statements.track': "'top'",
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
  };
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    `\n# npm run bench\n${Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`,
  );
  await runPg(binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(START_TIMEOUT_SECONDS), 'start']);
  const postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const version = (await runPg(binDir, 'postgres', ['--version'])).trim();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${options.port}`,
    port: options.port,
    binDir,
    dataDir,
    version,
    postmasterPid,
    settings,
    async restart() {
      await runPg(binDir, 'pg_ctl', [
        '-D',
        dataDir,
        '-l',
        logFile,
        '-m',
        'fast',
        '-w',
        '-t',
        String(START_TIMEOUT_SECONDS),
        'restart',
      ]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await runPg(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(options.dir, { recursive: true, force: true });
    },
  };
}
