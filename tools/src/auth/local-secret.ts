/**
 * The HS256 secret of the local stack: `npm start` generates it once into .run/auth-secret (kept across
 * runs, like the rest of .run/, so tokens minted earlier stay valid) and passes the file to every service;
 * `npm run cli -- token` and the load tool read it from there unless told otherwise.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_SECRET_LENGTH } from '@shop/platform';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where `npm start` keeps the local stack's secret. */
export const LOCAL_AUTH_SECRET_FILE = join(REPO_ROOT, '.run', 'auth-secret');

/** Creates the local secret (256 random bits, readable by the owner only) unless it exists; returns its path. */
export function ensureLocalAuthSecret(file = LOCAL_AUTH_SECRET_FILE): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return file;
}

function readSecret(file: string, from: string): string {
  const secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`${from}: the secret in ${file} is too short`);
  return secret;
}

/**
 * The secret the running stack verifies with: `file` when given, else AUTH_JWT_SECRET, else
 * AUTH_JWT_SECRET_FILE, else the one `npm start` generated.
 */
export function localAuthSecret(env: NodeJS.ProcessEnv = process.env, file?: string): string {
  if (file !== undefined) return readSecret(file, '--secret-file');
  if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWT_SECRET !== '') return env.AUTH_JWT_SECRET;
  if (env.AUTH_JWT_SECRET_FILE !== undefined && env.AUTH_JWT_SECRET_FILE !== '') {
    return readSecret(env.AUTH_JWT_SECRET_FILE, 'AUTH_JWT_SECRET_FILE');
  }
  if (!existsSync(LOCAL_AUTH_SECRET_FILE)) {
    throw new Error(
      `No secret: ${LOCAL_AUTH_SECRET_FILE} does not exist (npm start creates it); or set AUTH_JWT_SECRET or AUTH_JWT_SECRET_FILE`,
    );
  }
  return readSecret(LOCAL_AUTH_SECRET_FILE, 'local stack');
}
