/**
 * Fails when a module imports across a boundary the architecture forbids:
 * - a service imports another service (services share only `@shop/contracts` and `@shop/platform`);
 * - a service's `domain/` imports infrastructure (Kafka, HTTP, SQL) or the platform layer;
 * - `@shop/contracts` imports anything but TypeBox and Node built-ins;
 * - a module imports `@shop/platform` other than through its index or a subpath its package.json declares;
 * - a module of a package's `src` imports `@shop/test-support` (test code never ships).
 * Run by `npm run boundaries` (part of `npm run check` and CI).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const IMPORT_PATTERN = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const INFRASTRUCTURE_PACKAGES = ['@platformatic/kafka', 'fastify', 'pg', '@shop/platform', 'node:http', 'node:net'];
/** The entry points of @shop/platform, as its package.json declares them (`@shop/platform/provisioning`). */
const PLATFORM_ENTRY_POINTS: ReadonlySet<string> = new Set(
  Object.keys(
    (
      JSON.parse(await readFile(join(REPO_ROOT, 'packages', 'platform', 'package.json'), 'utf8')) as {
        exports: Record<string, string>;
      }
    ).exports,
  ).map((subpath) => `@shop/platform${subpath.slice(1)}`),
);

async function listTsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listTsFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

export function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(IMPORT_PATTERN)) {
    const specifier = match[1] ?? match[2];
    if (specifier) specifiers.push(specifier);
  }
  return specifiers;
}

function serviceOf(path: string, root: string): string | undefined {
  const parts = relative(root, path).split(sep);
  return parts[0] === 'services' ? parts[1] : undefined;
}

/** Checks one file's imports; `root` is the repository root. */
export function checkFile(root: string, file: string, source: string): Violation[] {
  const violations: Violation[] = [];
  const rel = relative(root, file);
  const service = serviceOf(file, root);
  const inDomain = service !== undefined && rel.split(sep).includes('domain');
  const inContracts = rel.startsWith(`packages${sep}contracts${sep}src`);
  const shipped = rel.split(sep).includes('src') && !rel.startsWith(`packages${sep}test-support${sep}`);
  for (const specifier of importsOf(source)) {
    if (specifier.startsWith('@shop/platform/') && !PLATFORM_ENTRY_POINTS.has(specifier)) {
      violations.push({
        file: rel,
        specifier,
        rule: 'platform is imported through @shop/platform or a subpath its package.json declares',
      });
    }
    if (shipped && (specifier === '@shop/test-support' || specifier.startsWith('@shop/test-support/'))) {
      violations.push({ file: rel, specifier, rule: 'code that ships (src) never imports @shop/test-support' });
    }
    const target = specifier.startsWith('.') ? resolve(file, '..', specifier) : undefined;
    if (service !== undefined) {
      const targetService = target !== undefined ? serviceOf(target, root) : undefined;
      const importsOtherByName =
        /^@shop\/[a-z-]+-service/.test(specifier) && !specifier.startsWith(`@shop/${service}-service`);
      if ((targetService !== undefined && targetService !== service) || importsOtherByName) {
        violations.push({ file: rel, specifier, rule: 'a service never imports another service' });
      }
    }
    if (inDomain) {
      const infra = INFRASTRUCTURE_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`));
      const leavesDomain = target !== undefined && !relative(root, target).split(sep).includes('domain');
      if (infra || leavesDomain) {
        violations.push({ file: rel, specifier, rule: 'domain logic imports no Kafka, HTTP, SQL or adapters' });
      }
    }
    if (inContracts) {
      const allowed =
        specifier.startsWith('.') ||
        specifier.startsWith('node:') ||
        specifier === 'typebox' ||
        specifier.startsWith('typebox/');
      if (!allowed)
        violations.push({ file: rel, specifier, rule: 'contracts depend only on TypeBox and Node built-ins' });
    }
  }
  return violations;
}

export async function checkRepository(root = REPO_ROOT): Promise<Violation[]> {
  const files = [
    ...(await listTsFiles(join(root, 'services'))),
    ...(await listTsFiles(join(root, 'packages'))),
    ...(await listTsFiles(join(root, 'tools'))),
    ...(await listTsFiles(join(root, 'scripts'))),
    ...(await listTsFiles(join(root, 'infra'))),
    ...(await listTsFiles(join(root, 'tests'))),
  ];
  const violations: Violation[] = [];
  for (const file of files) violations.push(...checkFile(root, file, await readFile(file, 'utf8')));
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const violations = await checkRepository();
  for (const v of violations) console.error(`${v.file}: imports "${v.specifier}" — ${v.rule}`);
  if (violations.length > 0) {
    console.error(`\n${violations.length} dependency-boundary violation(s).`);
    process.exit(1);
  }
  console.log('dependency boundaries: ok');
}
