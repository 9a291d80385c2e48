/**
 * Builds the console's front end (web/) with Vite into a folder the console server serves. `npm start` and the
 * browser tests build it at start-up, so a fresh clone needs nothing but `npm install`; nothing built is
 * committed.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const WEB_SOURCE = fileURLToPath(new URL('./web/', import.meta.url));
/** Default output: under the repository's .cache/ (git-ignored). */
export const DEFAULT_WEB_OUT = fileURLToPath(new URL('../../../.cache/console-web/', import.meta.url));

export async function buildWeb(outDir: string = DEFAULT_WEB_OUT): Promise<string> {
  await build({
    root: WEB_SOURCE,
    configFile: false,
    logLevel: 'warn',
    base: '/',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}
