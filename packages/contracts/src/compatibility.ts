/**
 * Schema compatibility: a pure function over two JSON Schemas that lists every change which breaks a
 * reader, so the test over the registry fails when a new version is not compatible with its
 * predecessor.
 *
 * The policy is FULL compatibility between consecutive versions, because both directions happen:
 * - old readers, new data: a producer is deployed before its consumers, so a consumer that knows
 *   version N receives N+1 (the codec reads it by the newest schema it knows, ignoring unknown fields);
 * - new readers, old data: records written before a deploy stay in the topic for the retention period,
 *   and dead letters are replayed days later, so a consumer that knows N+1 receives N (and the codec
 *   types every payload as the newest version).
 *
 * So, for every field that exists in version N, version N+1 must accept exactly the same values, with
 * the same requiredness; the only compatible change is adding an optional field. Anything the checker
 * does not understand is reported (UNSUPPORTED_CHANGE): it fails closed.
 */

/** A JSON Schema (object or boolean form), e.g. a TypeBox schema or a parsed schema file. */
export type JsonSchema = boolean | object;

/** Who a breaking change breaks. */
export type AffectedReaders = 'old-readers' | 'new-readers';

/** The kinds of breaking change the checker reports, with whom each breaks and why. */
export const COMPATIBILITY_RULES = {
  FIELD_REMOVED: {
    breaks: ['old-readers', 'new-readers'],
    explanation: 'Old readers expect the field; new readers with a closed schema reject old data that still has it.',
  },
  FIELD_RETYPED: {
    breaks: ['old-readers', 'new-readers'],
    explanation: 'The type, format or pattern of a field changed: values valid for one version fail the other.',
  },
  REQUIRED_FIELD_ADDED: {
    breaks: ['new-readers'],
    explanation: 'Old data (retained records, replayed dead letters) lacks the field. Add it as optional.',
  },
  FIELD_MADE_REQUIRED: { breaks: ['new-readers'], explanation: 'Old data may lack the field.' },
  FIELD_MADE_OPTIONAL: { breaks: ['old-readers'], explanation: 'Old readers rely on the field being present.' },
  ENUM_NARROWED: { breaks: ['new-readers'], explanation: 'Old data may carry a value that was removed.' },
  ENUM_WIDENED: {
    breaks: ['old-readers'],
    explanation: 'Old readers reject (dead-letter) a value they do not know.',
  },
  BOUNDS_TIGHTENED: {
    breaks: ['new-readers'],
    explanation:
      'A minimum, maximum, length, item count or uniqueness constraint now rejects values old data may hold.',
  },
  BOUNDS_LOOSENED: {
    breaks: ['old-readers'],
    explanation: 'New data may hold values (longer, larger, more items) that old readers reject.',
  },
  ADDITIONAL_PROPERTIES_RESTRICTED: {
    breaks: ['new-readers'],
    explanation: 'Properties old data was allowed to carry (or to carry with any value) are now rejected.',
  },
  UNION_CHANGED: {
    breaks: ['old-readers', 'new-readers'],
    explanation: 'A union gained or lost alternatives.',
  },
  UNSUPPORTED_CHANGE: {
    breaks: ['old-readers', 'new-readers'],
    explanation: 'A keyword the checker cannot reason about changed; treated as breaking until proven otherwise.',
  },
} as const satisfies Record<string, { readonly breaks: readonly AffectedReaders[]; readonly explanation: string }>;

/** A kind of breaking change. */
export type CompatibilityIssueKind = keyof typeof COMPATIBILITY_RULES;

/** One breaking change between two schemas. */
export interface CompatibilityIssue {
  readonly kind: CompatibilityIssueKind;
  /** JSON pointer into the newer schema (into the older one for removals), e.g. `/properties/lines/items`. */
  readonly schemaPath: string;
  /** The instance field concerned, `[]` standing for any array item, e.g. `/lines/[]/sku`; `/` is the whole payload. */
  readonly field: string;
  /** Who the change breaks. */
  readonly breaks: readonly AffectedReaders[];
  /** What changed. */
  readonly message: string;
}

/** Keywords that describe but do not constrain; changing them is always compatible. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  '$comment',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$id',
  '$schema',
]);

const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains'] as const;
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains'] as const;

type SchemaObject = Readonly<Record<string, unknown>>;

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Structural equality of JSON values, independent of object key order. */
function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => deepEqual(item, right[index]))
    );
  }
  if (!isSchemaObject(left) || !isSchemaObject(right)) return false;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].every((key) => deepEqual(left[key], right[key]));
}

function withoutAnnotations(schema: SchemaObject): SchemaObject {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !ANNOTATIONS.has(key) && !key.startsWith('x-')));
}

/** The closed set of values a schema allows (`const`, `enum`, or a union of `const`s), if it is one. */
function valueSet(schema: SchemaObject): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum;
  const branches = schema.anyOf;
  if (
    Array.isArray(branches) &&
    branches.length > 0 &&
    branches.every((branch) => isSchemaObject(branch) && 'const' in branch)
  ) {
    return branches.map((branch) => (branch as SchemaObject).const);
  }
  return undefined;
}

function typeSet(type: unknown): string[] {
  if (type === undefined) return [];
  return (Array.isArray(type) ? type.map(String) : [String(type)]).sort();
}

function display(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

class Comparison {
  readonly issues: CompatibilityIssue[] = [];

  report(kind: CompatibilityIssueKind, schemaPath: string, field: string, message: string): void {
    this.issues.push({
      kind,
      schemaPath,
      field: field === '' ? '/' : field,
      breaks: COMPATIBILITY_RULES[kind].breaks,
      message,
    });
  }

  compare(older: unknown, newer: unknown, schemaPath: string, field: string): void {
    if (!isSchemaObject(older) || !isSchemaObject(newer)) {
      if (!deepEqual(older, newer))
        this.report('UNSUPPORTED_CHANGE', schemaPath, field, 'boolean or non-object schema changed');
      return;
    }
    const old = withoutAnnotations(older);
    const next = withoutAnnotations(newer);
    if (deepEqual(old, next)) return;
    const handled = new Set<string>();

    const oldValues = valueSet(old);
    const newValues = valueSet(next);
    if (oldValues !== undefined || newValues !== undefined) {
      for (const key of ['const', 'enum', 'anyOf', 'type']) handled.add(key);
      if (oldValues === undefined || newValues === undefined) {
        this.report('FIELD_RETYPED', schemaPath, field, 'changed between a fixed set of values and an open type');
        return;
      }
      const removed = oldValues.filter((value) => !newValues.some((candidate) => deepEqual(candidate, value)));
      const added = newValues.filter((value) => !oldValues.some((candidate) => deepEqual(candidate, value)));
      if (removed.length > 0) this.report('ENUM_NARROWED', schemaPath, field, `values removed: ${display(removed)}`);
      if (added.length > 0) this.report('ENUM_WIDENED', schemaPath, field, `values added: ${display(added)}`);
    } else {
      handled.add('type');
      const oldTypes = typeSet(old.type);
      const newTypes = typeSet(next.type);
      if (!deepEqual(oldTypes, newTypes)) {
        this.report(
          'FIELD_RETYPED',
          schemaPath,
          field,
          `type ${oldTypes.join('|') || 'any'} became ${newTypes.join('|') || 'any'}`,
        );
        return; // everything below compares like with like
      }
    }

    for (const keyword of ['format', 'pattern']) {
      handled.add(keyword);
      const before = old[keyword];
      const after = next[keyword];
      if (before === after) continue;
      if (before === undefined)
        this.report('BOUNDS_TIGHTENED', schemaPath, field, `${keyword} ${JSON.stringify(after)} added`);
      else if (after === undefined)
        this.report('BOUNDS_LOOSENED', schemaPath, field, `${keyword} ${JSON.stringify(before)} removed`);
      else
        this.report(
          'FIELD_RETYPED',
          schemaPath,
          field,
          `${keyword} ${JSON.stringify(before)} became ${JSON.stringify(after)}`,
        );
    }

    this.compareBounds(old, next, schemaPath, field, handled);
    this.compareObject(old, next, schemaPath, field, handled);

    handled.add('items');
    if (old.items !== undefined || next.items !== undefined) {
      if (old.items === undefined || next.items === undefined) {
        this.report('UNSUPPORTED_CHANGE', `${schemaPath}/items`, `${field}/[]`, 'items schema added or removed');
      } else {
        this.compare(old.items, next.items, `${schemaPath}/items`, `${field}/[]`);
      }
    }

    for (const keyword of ['anyOf', 'oneOf']) {
      if (handled.has(keyword)) continue;
      handled.add(keyword);
      const before = old[keyword];
      const after = next[keyword];
      if (before === undefined && after === undefined) continue;
      if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) {
        const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);
        this.report(
          'UNION_CHANGED',
          schemaPath,
          field,
          `${keyword} had ${count(before)} alternatives, now ${count(after)}`,
        );
        continue;
      }
      before.forEach((branch, index) => {
        this.compare(branch, after[index], `${schemaPath}/${keyword}/${index}`, field);
      });
    }

    for (const keyword of new Set([...Object.keys(old), ...Object.keys(next)])) {
      if (handled.has(keyword) || deepEqual(old[keyword], next[keyword])) continue;
      this.report('UNSUPPORTED_CHANGE', `${schemaPath}/${escapeToken(keyword)}`, field, `keyword ${keyword} changed`);
    }
  }

  private compareBounds(
    old: SchemaObject,
    next: SchemaObject,
    schemaPath: string,
    field: string,
    handled: Set<string>,
  ): void {
    const bound = (keyword: string, tightenedWhen: (before: number, after: number) => boolean) => {
      handled.add(keyword);
      const before = old[keyword];
      const after = next[keyword];
      if (before === after) return;
      if (before === undefined) {
        this.report('BOUNDS_TIGHTENED', schemaPath, field, `${keyword} ${String(after)} added`);
      } else if (after === undefined) {
        this.report('BOUNDS_LOOSENED', schemaPath, field, `${keyword} ${String(before)} removed`);
      } else if (tightenedWhen(Number(before), Number(after))) {
        this.report('BOUNDS_TIGHTENED', schemaPath, field, `${keyword} ${String(before)} became ${String(after)}`);
      } else {
        this.report('BOUNDS_LOOSENED', schemaPath, field, `${keyword} ${String(before)} became ${String(after)}`);
      }
    };
    for (const keyword of LOWER_BOUNDS) bound(keyword, (before, after) => after > before);
    for (const keyword of UPPER_BOUNDS) bound(keyword, (before, after) => after < before);

    handled.add('multipleOf');
    const before = old.multipleOf;
    const after = next.multipleOf;
    if (before !== after) {
      const isMultiple = (value: unknown, of: unknown) =>
        typeof value === 'number' && typeof of === 'number' && Number.isInteger(value / of);
      if (before === undefined || isMultiple(after, before)) {
        this.report('BOUNDS_TIGHTENED', schemaPath, field, `multipleOf ${String(before)} became ${String(after)}`);
      } else if (after === undefined || isMultiple(before, after)) {
        this.report('BOUNDS_LOOSENED', schemaPath, field, `multipleOf ${String(before)} became ${String(after)}`);
      } else {
        this.report('FIELD_RETYPED', schemaPath, field, `multipleOf ${String(before)} became ${String(after)}`);
      }
    }

    handled.add('uniqueItems');
    const wasUnique = old.uniqueItems === true;
    const isUnique = next.uniqueItems === true;
    if (!wasUnique && isUnique) this.report('BOUNDS_TIGHTENED', schemaPath, field, 'uniqueItems added');
    if (wasUnique && !isUnique) this.report('BOUNDS_LOOSENED', schemaPath, field, 'uniqueItems removed');
  }

  private compareObject(
    old: SchemaObject,
    next: SchemaObject,
    schemaPath: string,
    field: string,
    handled: Set<string>,
  ): void {
    for (const keyword of ['properties', 'required', 'additionalProperties']) handled.add(keyword);
    const oldProperties = isSchemaObject(old.properties) ? old.properties : {};
    const newProperties = isSchemaObject(next.properties) ? next.properties : {};
    const oldRequired = new Set(Array.isArray(old.required) ? old.required.map(String) : []);
    const newRequired = new Set(Array.isArray(next.required) ? next.required.map(String) : []);
    const oldAllowsExtra = old.additionalProperties !== false;

    for (const name of Object.keys(oldProperties)) {
      const propertyPath = `${schemaPath}/properties/${escapeToken(name)}`;
      const propertyField = `${field}/${escapeToken(name)}`;
      if (!(name in newProperties)) {
        this.report(
          'FIELD_REMOVED',
          propertyPath,
          propertyField,
          `field removed (was ${oldRequired.has(name) ? 'required' : 'optional'})`,
        );
        continue;
      }
      this.compare(oldProperties[name], newProperties[name], propertyPath, propertyField);
      if (oldRequired.has(name) && !newRequired.has(name)) {
        this.report('FIELD_MADE_OPTIONAL', propertyPath, propertyField, 'required field became optional');
      }
      if (!oldRequired.has(name) && newRequired.has(name)) {
        this.report('FIELD_MADE_REQUIRED', propertyPath, propertyField, 'optional field became required');
      }
    }
    for (const name of Object.keys(newProperties)) {
      if (name in oldProperties) continue;
      const propertyPath = `${schemaPath}/properties/${escapeToken(name)}`;
      const propertyField = `${field}/${escapeToken(name)}`;
      if (newRequired.has(name)) {
        this.report('REQUIRED_FIELD_ADDED', propertyPath, propertyField, 'new field is required; add it as optional');
      } else if (oldAllowsExtra) {
        this.report(
          'ADDITIONAL_PROPERTIES_RESTRICTED',
          propertyPath,
          propertyField,
          'new field constrains a name that old data was allowed to carry with any value',
        );
      }
    }
    for (const name of newRequired) {
      if (!(name in newProperties) && !(name in oldProperties) && !oldRequired.has(name)) {
        this.report(
          'REQUIRED_FIELD_ADDED',
          `${schemaPath}/required`,
          `${field}/${escapeToken(name)}`,
          'name added to required',
        );
      }
    }

    const before = old.additionalProperties;
    const after = next.additionalProperties;
    if (deepEqual(before, after)) return;
    const path = `${schemaPath}/additionalProperties`;
    if (after === false) {
      this.report(
        'ADDITIONAL_PROPERTIES_RESTRICTED',
        path,
        field,
        'additional properties were allowed and are now rejected',
      );
    } else if (isSchemaObject(after) && (before === undefined || before === true)) {
      this.report(
        'ADDITIONAL_PROPERTIES_RESTRICTED',
        path,
        field,
        'additional properties were unconstrained and now need a schema',
      );
    } else if (isSchemaObject(before) && isSchemaObject(after)) {
      this.compare(before, after, path, `${field}/<any>`);
    }
    // Allowing more additional properties is compatible: readers ignore (strip) fields they do not know.
  }
}

/**
 * Every change from `older` to `newer` that breaks a reader, in schema order; empty when `newer` may
 * replace `older`. Pure: reads its arguments only.
 */
export function checkCompatibility(older: JsonSchema, newer: JsonSchema): CompatibilityIssue[] {
  const comparison = new Comparison();
  comparison.compare(older, newer, '', '');
  return comparison.issues;
}

/** The issues between two consecutive registered versions of one event type. */
export interface VersionPairIssues {
  readonly type: string;
  readonly from: number;
  readonly to: number;
  readonly issues: readonly CompatibilityIssue[];
}

/** Checks every consecutive pair of versions in a registry (`type → versions, oldest first`). */
export function checkRegistryCompatibility(
  registry: Readonly<Record<string, readonly { readonly version: number; readonly schema: JsonSchema }[]>>,
): VersionPairIssues[] {
  const results: VersionPairIssues[] = [];
  for (const [type, versions] of Object.entries(registry)) {
    for (let index = 1; index < versions.length; index += 1) {
      const older = versions[index - 1];
      const newer = versions[index];
      if (older === undefined || newer === undefined) continue;
      results.push({
        type,
        from: older.version,
        to: newer.version,
        issues: checkCompatibility(older.schema, newer.schema),
      });
    }
  }
  return results;
}
