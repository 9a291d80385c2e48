/**
 * Generates the committed contract artifacts from the code:
 * - docs/topics.md (the business topics table and the failure-path topics),
 * - docs/events.md (events, headers, error codes, compatibility rules, every version's fields),
 * - docs/schemas/<EventType>.v<N>.json (JSON Schema of every published version),
 * - the generated sections of docs/design/contracts.md.
 *
 * Usage: `node packages/contracts/src/generate-docs.ts` writes them (and deletes schema files of
 * versions no longer registered); `--check` writes nothing and exits 1 listing every drifted file.
 * The test `generate-docs.test.ts` runs the same check, so drift fails CI.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fillGeneratedSections } from './docs/generated-sections.ts';
import { cell, code, table } from './docs/markdown.ts';
import { renderEventSection, renderEventsDoc, renderHeadersTable } from './docs/render-events.ts';
import { renderTopicsDoc } from './docs/render-topics.ts';
import { findLatestDefinition, listDefinitions } from './events/registry.ts';
import { renderJsonSchemaArtifact, SCHEMA_ARTIFACT_DIR, schemaArtifactFileName } from './json-schema-artifact.ts';
import { TOPICS } from './topics.ts';

/** The repository root, from this file's location (packages/contracts/src). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** The hand-written design document whose generated sections the generator fills. */
export const CONTRACTS_DESIGN_DOC = 'docs/design/contracts.md';

/** The command that regenerates everything, quoted in drift messages. */
export const GENERATE_COMMAND = 'node packages/contracts/src/generate-docs.ts';

/** One generated file: path relative to the repository root, and its exact content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** A file whose committed content differs from what the code generates. */
export interface Drift {
  readonly path: string;
  readonly problem: 'missing' | 'different' | 'stale';
}

function partitionKeysTable(): string {
  return table(
    ['Topic', 'Key', 'Events'],
    TOPICS.filter((definition) => definition.kind === 'event' || definition.kind === 'command').map((definition) => [
      code(definition.name),
      code(definition.partitionKey),
      cell(definition.events.join(', ')),
    ]),
  );
}

/** Renders one generated section of the design document by name (`headers`, `partition-keys`, `event:<Type>`). */
function renderDesignSection(name: string): string | undefined {
  if (name === 'headers') return renderHeadersTable();
  if (name === 'partition-keys') return partitionKeysTable();
  if (name.startsWith('event:')) {
    const definition = findLatestDefinition(name.slice('event:'.length));
    return definition === undefined ? undefined : renderEventSection(definition, 4, '../');
  }
  return undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Everything the generator writes, computed in memory. Reads only the design document (to keep its prose). */
export function generateDocs(repoRoot: string = REPO_ROOT): GeneratedFile[] {
  const files: GeneratedFile[] = [
    { path: 'docs/topics.md', content: renderTopicsDoc() },
    { path: 'docs/events.md', content: renderEventsDoc() },
    ...listDefinitions().map((definition) => ({
      path: `${SCHEMA_ARTIFACT_DIR}/${schemaArtifactFileName(definition.type, definition.version)}`,
      content: renderJsonSchemaArtifact(definition, TOPICS),
    })),
  ];
  const design = readIfExists(join(repoRoot, CONTRACTS_DESIGN_DOC));
  if (design !== undefined)
    files.push({ path: CONTRACTS_DESIGN_DOC, content: fillGeneratedSections(design, renderDesignSection) });
  return files;
}

/** Schema files under docs/schemas/ that no registered version produces (a version must never disappear silently). */
function staleSchemaFiles(repoRoot: string, generated: readonly GeneratedFile[]): string[] {
  const expected = new Set(generated.map((file) => file.path));
  let names: string[];
  try {
    names = readdirSync(join(repoRoot, SCHEMA_ARTIFACT_DIR));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => `${SCHEMA_ARTIFACT_DIR}/${name}`)
    .filter((path) => !expected.has(path));
}

/** Every committed file that differs from the generated one, is missing, or is stale. */
export function findDrift(repoRoot: string = REPO_ROOT): Drift[] {
  const generated = generateDocs(repoRoot);
  const drift: Drift[] = [];
  for (const file of generated) {
    const committed = readIfExists(join(repoRoot, file.path));
    if (committed === undefined) drift.push({ path: file.path, problem: 'missing' });
    else if (committed !== file.content) drift.push({ path: file.path, problem: 'different' });
  }
  for (const path of staleSchemaFiles(repoRoot, generated)) drift.push({ path, problem: 'stale' });
  if (readIfExists(join(repoRoot, CONTRACTS_DESIGN_DOC)) === undefined) {
    drift.push({ path: CONTRACTS_DESIGN_DOC, problem: 'missing' });
  }
  return drift;
}

/** Writes every generated file and removes stale schema files; returns the paths it changed. */
export function writeDocs(repoRoot: string = REPO_ROOT): string[] {
  const generated = generateDocs(repoRoot);
  const changed: string[] = [];
  for (const file of generated) {
    const target = join(repoRoot, file.path);
    if (readIfExists(target) === file.content) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    changed.push(file.path);
  }
  for (const path of staleSchemaFiles(repoRoot, generated)) {
    rmSync(join(repoRoot, path));
    changed.push(path);
  }
  return changed;
}

if (import.meta.main) {
  if (process.argv.includes('--check')) {
    const drift = findDrift();
    for (const item of drift) console.error(`${item.problem}: ${item.path}`);
    if (drift.length > 0) {
      console.error(`Generated contract docs are out of date. Run: ${GENERATE_COMMAND}`);
      process.exitCode = 1;
    } else {
      console.log('Generated contract docs are up to date.');
    }
  } else {
    const changed = writeDocs();
    console.log(
      changed.length === 0 ? 'Nothing to update.' : `Updated:\n${changed.map((path) => `  ${path}`).join('\n')}`,
    );
  }
}
