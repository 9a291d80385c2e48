import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CONTRACT_ERROR_CODES } from '../src/errors.ts';
import { listDefinitions } from '../src/events/registry.ts';
import {
  CONTRACTS_DESIGN_DOC,
  findDrift,
  GENERATE_COMMAND,
  generateDocs,
  REPO_ROOT,
  writeDocs,
} from '../src/generate-docs.ts';
import { HEADER_SPECS } from '../src/headers.ts';
import { SERVICES } from '../src/services.ts';
import { consumerGroupIds, TOPICS } from '../src/topics.ts';

describe('committed docs', () => {
  test('the committed topic and event docs, schemas and design sections should match what the code generates', () => {
    const drift = findDrift();
    assert.ok(
      drift.length === 0,
      `generated contract docs are out of date (${drift.map((item) => `${item.problem}: ${item.path}`).join(', ')}). Run: ${GENERATE_COMMAND}`,
    );
  });

  test('the generated docs should mention every topic, event version, header and error code', () => {
    const files = new Map(generateDocs().map((file) => [file.path, file.content]));
    const topics = files.get('docs/topics.md') ?? '';
    const events = files.get('docs/events.md') ?? '';
    for (const definition of TOPICS) assert.ok(topics.includes(`\`${definition.name}\``), definition.name);
    for (const definition of listDefinitions()) {
      assert.ok(events.includes(`### ${definition.type} v${definition.version}`), definition.type);
      assert.ok(files.has(`docs/schemas/${definition.type}.v${definition.version}.json`));
    }
    for (const spec of HEADER_SPECS) assert.ok(events.includes(`\`${spec.name}\``), spec.name);
    for (const code of CONTRACT_ERROR_CODES) assert.ok(events.includes(`\`${code}\``), code);
  });
});

describe('hand-written design document', () => {
  test('every topic or group name the prose mentions should exist in the catalog', () => {
    const design = readFileSync(join(REPO_ROOT, CONTRACTS_DESIGN_DOC), 'utf8');
    const known = new Set([...TOPICS.map((definition) => definition.name), ...consumerGroupIds()]);
    const services = SERVICES.join('|');
    const mentioned = [...design.matchAll(new RegExp(`\\b(?:${services})\\.[a-z0-9][a-z0-9.-]*[a-z0-9]`, 'g'))].map(
      (match) => match[0],
    );
    assert.ok(mentioned.length > 0);
    const unknown = [...new Set(mentioned.filter((name) => !known.has(name)))];
    assert.deepEqual(unknown, [], `${CONTRACTS_DESIGN_DOC} names topics or groups that are not in the catalog`);
  });
});

describe('drift detection', () => {
  function scratchRepo(): string {
    const root = mkdtempSync(join(tmpdir(), 'contracts-docs-'));
    writeFileSync(join(root, 'placeholder'), '');
    return root;
  }

  test('findDrift should report missing, different and stale files in a scratch copy', (t) => {
    const root = scratchRepo();
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const missing = findDrift(root);
    assert.ok(missing.some((item) => item.path === 'docs/topics.md' && item.problem === 'missing'));
    assert.ok(missing.some((item) => item.path === CONTRACTS_DESIGN_DOC && item.problem === 'missing'));

    writeDocs(root);
    assert.deepEqual(
      findDrift(root).filter((item) => item.path !== CONTRACTS_DESIGN_DOC),
      [],
    );

    writeFileSync(join(root, 'docs/topics.md'), 'edited by hand\n');
    writeFileSync(join(root, 'docs/schemas/OrderPlaced.v9.json'), '{}\n');
    const drift = findDrift(root);
    assert.ok(drift.some((item) => item.path === 'docs/topics.md' && item.problem === 'different'));
    assert.ok(drift.some((item) => item.path === 'docs/schemas/OrderPlaced.v9.json' && item.problem === 'stale'));
  });

  test('writeDocs should fill the generated sections of the design document and keep its prose', (t) => {
    const root = scratchRepo();
    t.after(() => rmSync(root, { recursive: true, force: true }));
    writeDocs(root);
    mkdirSync(join(root, 'docs/design'), { recursive: true });
    const prose =
      '# Design\n\nHand-written.\n\n<!-- BEGIN GENERATED: headers -->\nstale\n<!-- END GENERATED: headers -->\n\nMore prose.\n';
    writeFileSync(join(root, CONTRACTS_DESIGN_DOC), prose);
    assert.deepEqual(findDrift(root), [{ path: CONTRACTS_DESIGN_DOC, problem: 'different' }]);
    writeDocs(root);
    assert.deepEqual(findDrift(root), []);
    const design = generateDocs(root).find((file) => file.path === CONTRACTS_DESIGN_DOC)?.content ?? '';
    assert.ok(design.startsWith('# Design\n\nHand-written.'));
    assert.ok(design.includes('| `event-id` |'));
    assert.ok(design.endsWith('More prose.\n'));
  });
});
