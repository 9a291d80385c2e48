import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CATALOGUES } from '../../scripts/docs/error-catalogues.ts';
import {
  ERRORS_DOC,
  findErrorsDocDrift,
  GENERATE_ERRORS_COMMAND,
  REPO_ROOT,
  sectionAnchor,
} from '../../scripts/generate-error-docs.ts';

interface DocumentedCode {
  owner: string;
  httpStatus: number | undefined;
  retryable: boolean;
}

/** The rows of the committed docs/errors.md, by code, with the section (owner) each one is listed under. */
function documentedCodes(): Map<string, DocumentedCode> {
  const rows = new Map<string, DocumentedCode>();
  let owner: string | undefined;
  for (const line of readFileSync(join(REPO_ROOT, ERRORS_DOC), 'utf8').split('\n')) {
    const heading = /^## [A-Z]+: (.+)$/.exec(line);
    if (heading !== null) owner = heading[1];
    const row = /^\| `([A-Z]+_[A-Z0-9_]+)` \| (\d{3}|—) \| (yes|no) \| .+ \|$/.exec(line);
    if (row === null || owner === undefined) continue;
    assert.ok(!rows.has(row[1] as string), `${row[1]} is listed twice`);
    rows.set(row[1] as string, {
      owner,
      httpStatus: row[2] === '—' ? undefined : Number(row[2]),
      retryable: row[3] === 'yes',
    });
  }
  return rows;
}

test('docs/errors.md should be what the error catalogues generate', () => {
  const drift = findErrorsDocDrift();
  assert.equal(drift, undefined, `${ERRORS_DOC} is ${drift}. Run: ${GENERATE_ERRORS_COMMAND}`);
});

test('every code of every catalogue should be documented under its package with its HTTP status and retry flag, and nothing else', () => {
  const expected = new Map<string, DocumentedCode>();
  for (const entry of ERROR_CATALOGUES) {
    for (const [code, spec] of Object.entries(entry.catalogue)) {
      expected.set(code, { owner: entry.owner, httpStatus: spec.httpStatus, retryable: spec.retryable });
    }
  }
  assert.deepEqual(Object.fromEntries(documentedCodes()), Object.fromEntries(expected));
});

test('every code should carry its catalogue’s prefix, a description, a 4xx or 5xx status where it has one, and be unique', () => {
  const seen = new Set<string>();
  for (const entry of ERROR_CATALOGUES) {
    assert.match(sectionAnchor(entry), /^[a-z0-9_-]+$/);
    for (const [code, spec] of Object.entries(entry.catalogue)) {
      assert.match(code, new RegExp(`^${entry.prefix}_[A-Z0-9_]+$`), code);
      assert.ok(!seen.has(code), `${code} is defined twice`);
      seen.add(code);
      assert.ok(spec.description.trim().length > 0, `${code} has no description`);
      if (spec.httpStatus !== undefined) {
        assert.ok(spec.httpStatus >= 400 && spec.httpStatus < 600, `${code}: ${spec.httpStatus}`);
      }
    }
  }
});

test('every package’s factory should build an AppError with the code’s fixed status and retry flag', () => {
  for (const entry of ERROR_CATALOGUES) {
    for (const [code, spec] of Object.entries(entry.catalogue)) {
      const error = entry.factory(code as never, 'test');
      assert.equal(error.code, code);
      assert.equal(error.retryable, spec.retryable, code);
      assert.equal(error.httpStatus, spec.httpStatus ?? 500, code);
    }
  }
});
