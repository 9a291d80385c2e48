import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../src/generate-docs.ts';
import {
  ALLOW_TOPIC_LITERALS_MARKER,
  allowsTopicLiterals,
  extractStringLiterals,
  findTopicLiterals,
  scanRepositoryForTopicLiterals,
  topicNamesIn,
} from '../src/topic-literal-scan.ts';
import { TOPICS } from '../src/topics.ts';

// Fixture names on purpose not in the catalog, so this file needs no opt-out.
const NAMES = ['demo-service.thing-happened', 'demo-service.thing-happened.retry-1'];

describe('the repository', () => {
  test('no source file outside the catalog should spell a catalog topic name in a string literal', () => {
    const findings = scanRepositoryForTopicLiterals(
      REPO_ROOT,
      TOPICS.map((definition) => definition.name),
    );
    const listed = findings.map((finding) => `${finding.file}:${finding.line} spells ${finding.topic}`);
    assert.ok(
      listed.length === 0,
      `topic names spelled outside the catalog (use topic('<id>').name from @shop/contracts):\n${listed.join('\n')}`,
    );
  });
});

describe('the scanner', () => {
  test('it should find names in single-, double-quoted and template literals, with their line', () => {
    const source = [
      "const a = 'demo-service.thing-happened';",
      'const b = "x demo-service.thing-happened y";',
      `const c = \`\${prefix}: demo-service.thing-happened.retry-1 \${n}\`;`,
    ].join('\n');
    assert.deepEqual(findTopicLiterals('f.ts', source, NAMES), [
      { file: 'f.ts', line: 1, topic: 'demo-service.thing-happened' },
      { file: 'f.ts', line: 2, topic: 'demo-service.thing-happened' },
      { file: 'f.ts', line: 3, topic: 'demo-service.thing-happened.retry-1' },
    ]);
  });

  test('it should ignore comments and regular expressions', () => {
    const source = [
      '// reads demo-service.thing-happened',
      '/* writes "demo-service.thing-happened" */',
      "const re = /'/; const ok = 'fine';",
    ].join('\n');
    assert.deepEqual(findTopicLiterals('f.ts', source, NAMES), []);
    assert.deepEqual(
      extractStringLiterals(source).map((literal) => literal.text),
      ['fine'],
    );
  });

  test('it should match whole names only, not longer kebab-case words that contain one', () => {
    assert.deepEqual(topicNamesIn('demo-service.thing-happened-later', NAMES), []);
    assert.deepEqual(topicNamesIn('topic demo-service.thing-happened.', NAMES), ['demo-service.thing-happened']);
  });

  test('a file should opt out only with a full-line marker comment that gives a reason', () => {
    assert.ok(allowsTopicLiterals(`// ${ALLOW_TOPIC_LITERALS_MARKER} fixture for the DLT parser\nconst a = 1;`));
    assert.ok(!allowsTopicLiterals(`// ${ALLOW_TOPIC_LITERALS_MARKER}\n`));
    assert.ok(!allowsTopicLiterals(`const marker = '${ALLOW_TOPIC_LITERALS_MARKER} x';`));
  });
});
