import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describeSchemaErrors, escapePointerToken } from '../src/schema-errors.ts';

test('property names should be escaped as JSON pointer tokens', () => {
  assert.equal(escapePointerToken('a/b~c'), 'a~1b~0c');
});

test('a missing property should be reported at its own pointer, with a count of the other problems', () => {
  const validator = Compile(Type.Object({ a: Type.String(), b: Type.Integer() }, { additionalProperties: false }));
  const value = { b: 'x', c: 1 };
  const described = describeSchemaErrors(validator.Errors(value), '/value');
  assert.equal(described.field, '/value/a');
  assert.equal(described.count, 3);
  assert.match(described.message, /^\/value\/a is required \(and 2 more problems\)$/);
});

test('a union of objects should report the branch the discriminator selected', () => {
  const validator = Compile(
    Type.Array(
      Type.Union([
        Type.Object({ kind: Type.Literal('a'), n: Type.Integer() }),
        Type.Object({ kind: Type.Literal('b'), s: Type.String() }),
      ]),
    ),
  );
  const described = describeSchemaErrors(validator.Errors([{ kind: 'b', s: 1 }]), '');
  assert.equal(described.field, '/0/s');
});
