import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillGeneratedSections, generatedSectionNames } from '../../src/docs/generated-sections.ts';

const doc =
  'intro\n<!-- BEGIN GENERATED: a -->\nold\n<!-- END GENERATED: a -->\nmiddle\n<!-- BEGIN GENERATED: b -->\n<!-- END GENERATED: b -->\nend\n';

test('generated sections should be listed in order and replaced while the prose stays', () => {
  assert.deepEqual(generatedSectionNames(doc), ['a', 'b']);
  const filled = fillGeneratedSections(doc, (name) => `new ${name}`);
  assert.equal(
    filled,
    'intro\n<!-- BEGIN GENERATED: a -->\n\nnew a\n\n<!-- END GENERATED: a -->\nmiddle\n<!-- BEGIN GENERATED: b -->\n\nnew b\n\n<!-- END GENERATED: b -->\nend\n',
  );
  assert.equal(
    fillGeneratedSections(filled, (name) => `new ${name}`),
    filled,
  );
});

test('an unknown section or a missing end marker should fail instead of freezing the section', () => {
  assert.throws(() => fillGeneratedSections(doc, () => undefined), /no generator for section a/);
  assert.throws(() => fillGeneratedSections('<!-- BEGIN GENERATED: x -->', () => ''), /has no/);
});
