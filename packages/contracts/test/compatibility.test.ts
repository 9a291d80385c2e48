import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Type } from 'typebox';
import {
  type CompatibilityIssueKind,
  checkCompatibility,
  checkRegistryCompatibility,
  type JsonSchema,
} from '../src/compatibility.ts';
import { EVENT_REGISTRY } from '../src/events/registry.ts';
import { V2_REGISTRY } from './support/widget-registry.ts';

/** The kinds reported when `newer` replaces `older`, with their fields. */
function changes(older: JsonSchema, newer: JsonSchema): string[] {
  return checkCompatibility(older, newer).map((issue) => `${issue.kind} ${issue.field}`);
}

function kinds(older: JsonSchema, newer: JsonSchema): CompatibilityIssueKind[] {
  return checkCompatibility(older, newer).map((issue) => issue.kind);
}

const closed = { additionalProperties: false } as const;
const base = Type.Object(
  {
    orderId: Type.String({ format: 'uuid', description: 'Order.' }),
    status: Type.Union([Type.Literal('A'), Type.Literal('B')]),
    code: Type.Enum(['X', 'Y']),
    quantity: Type.Integer({ minimum: 1, maximum: 100 }),
    note: Type.Optional(Type.String({ maxLength: 50 })),
    lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 1 }) }, closed), { minItems: 1, maxItems: 10 }),
  },
  closed,
);

function variant(overrides: Record<string, unknown>, required?: string[]): JsonSchema {
  const properties = { ...base.properties, ...overrides };
  for (const [key, value] of Object.entries(overrides))
    if (value === undefined) delete properties[key as keyof typeof properties];
  return { ...base, properties, required: required ?? base.required.filter((name) => name in properties) };
}

describe('compatible changes', () => {
  test('an identical schema should be compatible', () => {
    assert.deepEqual(checkCompatibility(base, structuredClone(base)), []);
  });

  test('changing only descriptions, titles, examples or x- annotations should be compatible', () => {
    const annotated = variant({
      orderId: Type.String({ format: 'uuid', description: 'Another text.', title: 'Id', 'x-pii': true }),
    });
    assert.deepEqual(checkCompatibility(base, { ...(annotated as object), examples: [{}], description: 'New' }), []);
  });

  test('adding an optional field to a closed object should be compatible', () => {
    assert.deepEqual(checkCompatibility(base, variant({ channel: Type.Optional(Type.String()) })), []);
  });

  test('the order of properties and of required names should not matter', () => {
    const reordered = { ...base, required: [...base.required].reverse() };
    assert.deepEqual(checkCompatibility(base, reordered), []);
  });
});

describe('breaking changes are caught', () => {
  test('removing a field should be FIELD_REMOVED', () => {
    assert.deepEqual(changes(base, variant({ quantity: undefined })), ['FIELD_REMOVED /quantity']);
    assert.deepEqual(changes(base, variant({ note: undefined })), ['FIELD_REMOVED /note']);
  });

  test('retyping a field should be FIELD_RETYPED', () => {
    assert.deepEqual(changes(base, variant({ quantity: Type.String() })), ['FIELD_RETYPED /quantity']);
    assert.deepEqual(changes(base, variant({ quantity: Type.Number({ minimum: 1, maximum: 100 }) })), [
      'FIELD_RETYPED /quantity',
    ]);
    assert.deepEqual(changes(base, variant({ orderId: Type.String({ format: 'email' }) })), ['FIELD_RETYPED /orderId']);
    assert.deepEqual(changes(base, variant({ status: Type.String() })), ['FIELD_RETYPED /status']);
  });

  test('adding a required field should be REQUIRED_FIELD_ADDED', () => {
    const withRequired = variant({ channel: Type.String() }, [...base.required, 'channel']);
    assert.deepEqual(changes(base, withRequired), ['REQUIRED_FIELD_ADDED /channel']);
  });

  test('changing whether a field is required should be FIELD_MADE_REQUIRED or FIELD_MADE_OPTIONAL', () => {
    assert.deepEqual(changes(base, variant({}, [...base.required, 'note'])), ['FIELD_MADE_REQUIRED /note']);
    const optionalQuantity = variant(
      {},
      base.required.filter((name) => name !== 'quantity'),
    );
    assert.deepEqual(changes(base, optionalQuantity), ['FIELD_MADE_OPTIONAL /quantity']);
  });

  test('removing an allowed value should be ENUM_NARROWED, adding one ENUM_WIDENED', () => {
    assert.deepEqual(changes(base, variant({ status: Type.Literal('A') })), ['ENUM_NARROWED /status']);
    assert.deepEqual(changes(base, variant({ code: Type.Enum(['X']) })), ['ENUM_NARROWED /code']);
    const widened = variant({ status: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]) });
    assert.deepEqual(changes(base, widened), ['ENUM_WIDENED /status']);
    assert.deepEqual(kinds(base, variant({ code: Type.Enum(['X', 'Z']) })), ['ENUM_NARROWED', 'ENUM_WIDENED']);
  });

  test('tightening a bound should be BOUNDS_TIGHTENED, loosening one BOUNDS_LOOSENED', () => {
    assert.deepEqual(changes(base, variant({ quantity: Type.Integer({ minimum: 2, maximum: 100 }) })), [
      'BOUNDS_TIGHTENED /quantity',
    ]);
    assert.deepEqual(changes(base, variant({ quantity: Type.Integer({ minimum: 1, maximum: 99 }) })), [
      'BOUNDS_TIGHTENED /quantity',
    ]);
    assert.deepEqual(changes(base, variant({ note: Type.Optional(Type.String({ maxLength: 40 })) })), [
      'BOUNDS_TIGHTENED /note',
    ]);
    assert.deepEqual(changes(base, variant({ note: Type.Optional(Type.String({ maxLength: 50, pattern: '^a' })) })), [
      'BOUNDS_TIGHTENED /note',
    ]);
    assert.deepEqual(changes(base, variant({ quantity: Type.Integer({ minimum: 1, maximum: 1000 }) })), [
      'BOUNDS_LOOSENED /quantity',
    ]);
    assert.deepEqual(changes(base, variant({ quantity: Type.Integer({ minimum: 1 }) })), ['BOUNDS_LOOSENED /quantity']);
  });

  test('bounds of arrays and of fields inside array items should be checked, with the item path', () => {
    const fewerLines = variant({
      lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 1 }) }, closed), { minItems: 1, maxItems: 5 }),
    });
    assert.deepEqual(changes(base, fewerLines), ['BOUNDS_TIGHTENED /lines']);
    const longerSku = variant({
      lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 3 }) }, closed), { minItems: 1, maxItems: 10 }),
    });
    assert.deepEqual(changes(base, longerSku), ['BOUNDS_TIGHTENED /lines/[]/sku']);
    const unique = variant({
      lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 1 }) }, closed), {
        minItems: 1,
        maxItems: 10,
        uniqueItems: true,
      }),
    });
    assert.deepEqual(changes(base, unique), ['BOUNDS_TIGHTENED /lines']);
    const newItemField = variant({
      lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 1 }), qty: Type.Integer() }, closed), {
        minItems: 1,
        maxItems: 10,
      }),
    });
    assert.deepEqual(changes(base, newItemField), ['REQUIRED_FIELD_ADDED /lines/[]/qty']);
  });

  test('disallowing previously allowed additional properties should be ADDITIONAL_PROPERTIES_RESTRICTED', () => {
    const open = Type.Object({ id: Type.String() });
    const closedAgain = Type.Object({ id: Type.String() }, closed);
    assert.deepEqual(changes(open, closedAgain), ['ADDITIONAL_PROPERTIES_RESTRICTED /']);
    const typedExtras = { ...open, additionalProperties: { type: 'string' } };
    assert.deepEqual(changes(open, typedExtras), ['ADDITIONAL_PROPERTIES_RESTRICTED /']);
    // A field added to an open object constrains a name old data could carry with any value.
    assert.deepEqual(changes(open, Type.Object({ id: Type.String(), x: Type.Optional(Type.Integer()) })), [
      'ADDITIONAL_PROPERTIES_RESTRICTED /x',
    ]);
    // The other direction is compatible: readers ignore fields they do not know.
    assert.deepEqual(changes(closedAgain, open), []);
  });

  test('a union gaining or losing an alternative should be UNION_CHANGED, and its branches compared pairwise', () => {
    const a = Type.Object({ kind: Type.Literal('a'), n: Type.Integer() }, closed);
    const b = Type.Object({ kind: Type.Literal('b') }, closed);
    const c = Type.Object({ kind: Type.Literal('c') }, closed);
    const two = Type.Object({ item: Type.Union([a, b]) }, closed);
    assert.deepEqual(changes(two, Type.Object({ item: Type.Union([a, b, c]) }, closed)), ['UNION_CHANGED /item']);
    const retypedBranch = Type.Object({ kind: Type.Literal('a'), n: Type.String() }, closed);
    assert.deepEqual(changes(two, Type.Object({ item: Type.Union([retypedBranch, b]) }, closed)), [
      'FIELD_RETYPED /item/n',
    ]);
  });

  test('a change to a keyword the checker does not understand should be UNSUPPORTED_CHANGE', () => {
    const plain = Type.Object({ id: Type.String() }, closed);
    assert.deepEqual(kinds(plain, { ...plain, not: { required: ['x'] } }), ['UNSUPPORTED_CHANGE']);
    assert.deepEqual(kinds(true, false), ['UNSUPPORTED_CHANGE']);
  });

  test('each issue should say whom it breaks and where', () => {
    const [issue] = checkCompatibility(base, variant({ quantity: undefined }));
    assert.deepEqual(issue, {
      kind: 'FIELD_REMOVED',
      schemaPath: '/properties/quantity',
      field: '/quantity',
      breaks: ['old-readers', 'new-readers'],
      message: 'field removed (was required)',
    });
  });
});

describe('registered versions', () => {
  test('every consecutive pair of registered versions should be compatible', () => {
    const pairs = checkRegistryCompatibility(EVENT_REGISTRY);
    const expectedPairs = Object.values(EVENT_REGISTRY).reduce((sum, versions) => sum + versions.length - 1, 0);
    assert.equal(pairs.length, expectedPairs);
    for (const pair of pairs) {
      assert.deepEqual(
        pair.issues.map((issue) => `${issue.kind} ${issue.field}: ${issue.message}`),
        [],
        `${pair.type} v${pair.from} -> v${pair.to} is not compatible`,
      );
    }
  });

  test('the registry check should find a breaking version when there is one', () => {
    assert.deepEqual(checkRegistryCompatibility(V2_REGISTRY)[0]?.issues, []);
    const [v1, v2] = V2_REGISTRY.WidgetMade;
    const broken = { WidgetMade: [v1, { ...v2, schema: { ...v2.schema, required: [...v2.schema.required, 'size'] } }] };
    const [pair] = checkRegistryCompatibility(broken);
    assert.deepEqual(
      pair?.issues.map((issue) => issue.kind),
      ['REQUIRED_FIELD_ADDED'],
    );
  });
});
