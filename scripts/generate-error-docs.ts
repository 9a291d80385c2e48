/**
 * Generates docs/errors.md, the one list of every stable error code (code, owner, HTTP status,
 * retryable, meaning), from the catalogues in scripts/docs/error-catalogues.ts.
 *
 * Usage: `node scripts/generate-error-docs.ts` writes it; `--check` writes nothing and exits 1 when the
 * committed file differs (both are part of `npm run docs:generate` / `npm run docs:check`). The test
 * tests/docs/error-codes.test.ts runs the same check, so drift fails CI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FAILURE_HEADERS } from '@shop/contracts';
import { cell, code, table } from '@shop/contracts/docs/markdown';
import { type CatalogueEntry, ERROR_CATALOGUES } from './docs/error-catalogues.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const ERRORS_DOC = 'docs/errors.md';
export const GENERATE_ERRORS_COMMAND = 'node scripts/generate-error-docs.ts';

function heading(entry: CatalogueEntry): string {
  return `${entry.prefix}: ${entry.owner}`;
}

/** The heading anchor of a catalogue's section (as GitHub makes it), for links from the READMEs. */
export function sectionAnchor(entry: CatalogueEntry): string {
  return heading(entry)
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}

function section(entry: CatalogueEntry): string {
  const rows = Object.entries(entry.catalogue).map(([errorCode, spec]) => [
    code(errorCode),
    spec.httpStatus === undefined ? '—' : String(spec.httpStatus),
    spec.retryable ? 'yes' : 'no',
    cell(spec.description),
  ]);
  return [
    `## ${heading(entry)}`,
    '',
    `Defined in [${entry.source}](../${entry.source}). ${entry.reachedThrough}`,
    '',
    table(['Code', 'HTTP', 'Retryable', 'Meaning'], rows),
  ].join('\n');
}

export function renderErrorsDoc(): string {
  return `<!-- Generated from the error catalogues by \`${GENERATE_ERRORS_COMMAND}\`. Do not edit: a test fails when this file differs from the code. -->

# Error codes

Every error that crosses a module boundary carries a stable code from a closed catalogue of its package, an HTTP
status where it reaches HTTP, and whether retrying can help. Codes are a public contract: clients branch on
\`error.code\` of an HTTP error body (\`{ "error": { "code", "message", "details?" } }\`), operators on the
\`${FAILURE_HEADERS.errorCode}\` header of a dead letter; nothing matches message text.

- **Retryable** decides a consumer's path: yes → the consumer's retry tiers, then its dead-letter topic;
  no → the dead-letter topic at once. The platform's infrastructure codes (\`PLT_INFRASTRUCTURE\`,
  \`PLT_POSTGRES_UNREACHABLE\`, \`PLT_KAFKA_UNREACHABLE\`) are retried in place instead: the consumer pauses and
  never dead-letters.
- **HTTP** is the status the error answers with when it reaches HTTP; a consumer-only code keeps the 500 every
  error carries by default, and — means the code has no status of its own (500 if it ever reached HTTP, as a bug).
- Each catalogue is a \`const\` object \`<PACKAGE>_ERRORS\` of code → \`{ description, httpStatus?, retryable }\` in
  its package's \`errors.ts\`; errors are built with the package's \`<package>Error(code, message, options?)\`, so a
  code behaves the same wherever it is raised.

${ERROR_CATALOGUES.map((entry) => `- [${heading(entry)}](#${sectionAnchor(entry)})`).join('\n')}

${ERROR_CATALOGUES.map(section).join('\n\n')}
`;
}

function committed(repoRoot: string): string | undefined {
  try {
    return readFileSync(join(repoRoot, ERRORS_DOC), 'utf8');
  } catch {
    return undefined;
  }
}

/** `missing` or `different` when the committed docs/errors.md is not what the catalogues generate. */
export function findErrorsDocDrift(repoRoot: string = REPO_ROOT): 'missing' | 'different' | undefined {
  const text = committed(repoRoot);
  if (text === undefined) return 'missing';
  return text === renderErrorsDoc() ? undefined : 'different';
}

if (import.meta.main) {
  if (process.argv.includes('--check')) {
    const drift = findErrorsDocDrift();
    if (drift !== undefined) {
      console.error(`${drift}: ${ERRORS_DOC}\nThe error-code document is out of date. Run: ${GENERATE_ERRORS_COMMAND}`);
      process.exitCode = 1;
    } else {
      console.log(`${ERRORS_DOC} is up to date.`);
    }
  } else if (findErrorsDocDrift() === undefined) {
    console.log('Nothing to update.');
  } else {
    writeFileSync(join(REPO_ROOT, ERRORS_DOC), renderErrorsDoc());
    console.log(`Updated:\n  ${ERRORS_DOC}`);
  }
}
