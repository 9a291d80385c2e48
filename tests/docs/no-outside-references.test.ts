/**
 * Comments and test names must be followable by a reader of this repository alone: no pointers to
 * documents that are not in it (planning notes, issue numbers of a tracker, an external brief). Applied
 * migrations are exempt: their text is checksummed, and editing a comment would break every database
 * that already ran them.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCANNED = ['services', 'packages', 'tools', 'scripts', 'tests', 'infra'];
const OUTSIDE_REFERENCE =
  /\bPITFALLS\b|\bCONVENTIONS\b|\bthe brief\b|\bbrief's\b|\(brief\b|\b[Ii]ssue \d+|\b[Ii]ssue's\b|\bPart \d[a-d]?\b/;
const THIS_FILE = fileURLToPath(import.meta.url);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'migrations') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (/\.(ts|mjs|js)$/.test(entry.name) && path !== THIS_FILE) files.push(path);
  }
  return files;
}

test('source files should not point to documents outside the repository', async () => {
  const found: string[] = [];
  for (const dir of SCANNED) {
    for (const file of await sourceFiles(join(ROOT, dir))) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (OUTSIDE_REFERENCE.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(found, []);
});
