/**
 * Fails when a module imports across a boundary the architecture forbids (ARCHITECTURE.md, "Rules"):
 * - a service imports another service (services share only `@shop/contracts` and `@shop/platform`);
 * - a service's `domain/` imports infrastructure (Kafka, HTTP, SQL), the platform, or any other layer;
 * - a service's inbound adapters, `api/` (HTTP) and `events/` (consumers), import each other: what both
 *   need lives in `app/`;
 * - a service's `db/` (outbound adapters) imports `api/`, `events/` or `app/`: adapters implement the
 *   domain's ports and know nothing of who calls them;
 * - production code (services' and packages' `src`, `tools/src`, `infra/*\/src`) imports test code
 *   (`@shop/test-support`, a `test/` or `tests/` folder, `node:test`, `node:assert`);
 * - tools and scripts import a service's internals or the repository's tests: a service is reached through
 *   its definition (`services/<name>/src/service.ts`), test helpers through `@shop/test-support`;
 * - `@shop/platform` is imported through a path its package.json does not export (its curated index and
 *   declared subpaths are the public surface; everything else may change without notice);
 * - `@shop/contracts` imports anything but TypeBox and Node built-ins;
 * - the modules of `packages/contracts` or `packages/platform` import each other in a loop.
 * Run by `npm run boundaries` (part of `npm run check` and of `npm test`'s static checks).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** What the per-file rules need to know about the repository beyond the file itself. */
export interface RepositoryFacts {
  /** Subpaths `@shop/platform` exports ('.' for the index), from its package.json; '*' allows any. */
  platformExports: readonly string[];
}

export const RULES = {
  crossService: 'a service never imports another service',
  domain: 'domain logic imports no Kafka, HTTP, SQL, platform or other layer',
  inbound: 'api/ and events/ (inbound adapters) never import each other; shared use cases live in app/',
  outbound: 'db/ (outbound adapters) never imports api/, events/ or app/',
  testCode: 'production code never imports test code',
  toolsReach:
    'tools and scripts reach a service only through its service.ts, and tests only through @shop/test-support',
  platformSurface: '@shop/platform is imported only through its package.json exports',
  contracts: 'contracts depend only on TypeBox and Node built-ins',
  cycle: 'no import loop inside packages/contracts or packages/platform',
} as const;

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const IMPORT_PATTERN =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
const INFRASTRUCTURE_PACKAGES = ['@platformatic/kafka', 'fastify', 'pg', '@shop/platform', 'node:http', 'node:net'];
const TEST_PACKAGES = ['@shop/test-support', 'node:test', 'node:assert'];
/** Folders scanned, relative to the repository root. */
const SCANNED = ['services', 'packages', 'tools', 'scripts', 'tests', 'infra'];
/** Packages whose modules must not import each other in a loop. */
const ACYCLIC_PACKAGES = [join('packages', 'contracts', 'src'), join('packages', 'platform', 'src')];

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
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier) specifiers.push(specifier);
  }
  return specifiers;
}

function isPackage(specifier: string, names: readonly string[]): boolean {
  return names.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** Where a file sits: its service and layer (`services/<service>/src/<layer>/…`), or its top folder. */
interface Place {
  parts: string[];
  service?: string;
  /** The first folder under a service's src (api, events, app, domain, db, …). */
  layer?: string;
  inServiceSrc: boolean;
}

function placeOf(root: string, path: string): Place {
  const parts = relative(root, path).split(sep);
  if (parts[0] !== 'services') return { parts, inServiceSrc: false };
  const inServiceSrc = parts[2] === 'src';
  return { parts, service: parts[1], layer: inServiceSrc ? parts[3] : undefined, inServiceSrc };
}

function isProductionCode(parts: readonly string[]): boolean {
  if (parts[0] === 'services' || parts[0] === 'infra') return parts[2] === 'src';
  if (parts[0] === 'packages') return parts[1] !== 'test-support' && parts[2] === 'src';
  if (parts[0] === 'tools') return parts[1] === 'src';
  return false;
}

function isTestPath(parts: readonly string[]): boolean {
  return parts.includes('test') || parts[0] === 'tests';
}

/** Checks one file's imports; `root` is the repository root. */
export function checkFile(
  root: string,
  file: string,
  source: string,
  facts: RepositoryFacts = { platformExports: ['*'] },
): Violation[] {
  const violations: Violation[] = [];
  const rel = relative(root, file);
  const here = placeOf(root, file);
  const flag = (specifier: string, rule: string): void => {
    violations.push({ file: rel, specifier, rule });
  };
  const production = isProductionCode(here.parts);
  const toolOrScript = here.parts[0] === 'scripts' || here.parts[0] === 'tools';
  const inContracts = rel.startsWith(`packages${sep}contracts${sep}src`);
  for (const specifier of importsOf(source)) {
    const target = specifier.startsWith('.') ? placeOf(root, resolve(file, '..', specifier)) : undefined;
    if (here.service !== undefined) {
      const importsOtherByName =
        /^@shop\/[a-z-]+-service/.test(specifier) && !specifier.startsWith(`@shop/${here.service}-service`);
      if ((target?.service !== undefined && target.service !== here.service) || importsOtherByName) {
        flag(specifier, RULES.crossService);
      }
    }
    if (here.inServiceSrc && here.layer === 'domain') {
      const leavesDomain = target !== undefined && !(target.inServiceSrc && target.layer === 'domain');
      if (isPackage(specifier, INFRASTRUCTURE_PACKAGES) || leavesDomain) flag(specifier, RULES.domain);
    }
    if (here.inServiceSrc && target?.inServiceSrc && target.service === here.service) {
      const pair = `${here.layer}->${target.layer}`;
      if (pair === 'api->events' || pair === 'events->api') flag(specifier, RULES.inbound);
      if (here.layer === 'db' && ['api', 'events', 'app'].includes(target.layer ?? '')) flag(specifier, RULES.outbound);
    }
    if (production && (isPackage(specifier, TEST_PACKAGES) || (target !== undefined && isTestPath(target.parts)))) {
      flag(specifier, RULES.testCode);
    }
    if (toolOrScript && target !== undefined) {
      const serviceInternals =
        target.service !== undefined && !(target.inServiceSrc && target.parts.slice(3).join('/') === 'service.ts');
      if (serviceInternals || target.parts[0] === 'tests') flag(specifier, RULES.toolsReach);
    }
    if (isPackage(specifier, ['@shop/platform']) && !facts.platformExports.includes('*')) {
      const subpath = specifier === '@shop/platform' ? '.' : `.${specifier.slice('@shop/platform'.length)}`;
      if (!facts.platformExports.includes(subpath)) flag(specifier, RULES.platformSurface);
    }
    if (inContracts) {
      const allowed =
        specifier.startsWith('.') ||
        specifier.startsWith('node:') ||
        specifier === 'typebox' ||
        specifier.startsWith('typebox/');
      if (!allowed) flag(specifier, RULES.contracts);
    }
  }
  return violations;
}

/** Import loops among `files` (relative imports only), each reported once at the module that closes it. */
export function findCycles(root: string, sources: ReadonlyMap<string, string>): Violation[] {
  const edges = new Map<string, string[]>();
  for (const [file, source] of sources) {
    const targets = importsOf(source)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(file, '..', specifier))
      .filter((target) => sources.has(target));
    edges.set(file, targets);
  }
  const violations: Violation[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of edges.get(file) ?? []) {
      if (state.get(target) === 'open') {
        const loop = [...stack.slice(stack.indexOf(target)), target].map((path) => relative(root, path));
        violations.push({ file: relative(root, file), specifier: loop.join(' -> '), rule: RULES.cycle });
      } else if (state.get(target) === undefined) {
        visit(target);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...sources.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return violations;
}

async function platformExports(root: string): Promise<string[]> {
  try {
    const manifest = JSON.parse(await readFile(join(root, 'packages', 'platform', 'package.json'), 'utf8')) as {
      exports?: Record<string, unknown>;
    };
    return Object.keys(manifest.exports ?? {}).map((key) => (key.endsWith('/*') ? '*' : key));
  } catch {
    return ['*'];
  }
}

export async function checkRepository(root = REPO_ROOT): Promise<Violation[]> {
  const facts: RepositoryFacts = { platformExports: await platformExports(root) };
  const files = (await Promise.all(SCANNED.map((dir) => listTsFiles(join(root, dir))))).flat();
  const violations: Violation[] = [];
  const sources = new Map<string, string>();
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    sources.set(file, source);
    violations.push(...checkFile(root, file, source, facts));
  }
  for (const pkg of ACYCLIC_PACKAGES) {
    const prefix = join(root, pkg) + sep;
    const inPackage = new Map([...sources].filter(([file]) => file.startsWith(prefix)));
    violations.push(...findCycles(root, inPackage));
  }
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
