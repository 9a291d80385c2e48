/**
 * Flattens an event's JSON Schema into rows (field path, type, required, description) for the
 * generated field tables, e.g. `lines[].unitPrice.amountMinor`.
 */
import { PII_ANNOTATION } from '../values.ts';

/** One documented field. */
export interface FieldRow {
  /** Dotted path, `[]` for array items, e.g. `lines[].sku`. */
  readonly path: string;
  /** Compact type, e.g. `uuid`, `integer 1..10000`, `"A" \| "B"`. */
  readonly type: string;
  /** Required within its parent object. */
  readonly required: boolean;
  /** The field's description (plus a personal-data note where annotated). */
  readonly description: string;
}

type Schema = Readonly<Record<string, unknown>>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function range(min: unknown, max: unknown): string {
  if (min === undefined && max === undefined) return '';
  return ` ${min === undefined ? '' : String(min)}..${max === undefined ? '' : String(max)}`;
}

function values(schema: Schema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum;
  return undefined;
}

/** A compact description of a schema's type. */
export function describeType(schema: Schema): string {
  const fixed = values(schema);
  if (fixed !== undefined) return fixed.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'string') {
    if (schema.format === 'uuid') return 'uuid';
    if (schema.format === 'date-time') return 'UTC timestamp';
    if (schema.format === 'email') return `email ..${String(schema.maxLength)}`;
    const length = range(schema.minLength, schema.maxLength);
    return `string${length}${typeof schema.pattern === 'string' ? ` /${schema.pattern}/` : ''}`;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const max = schema.maximum === Number.MAX_SAFE_INTEGER ? '2^53-1' : schema.maximum;
    return `${schema.type}${range(schema.minimum, max)}`;
  }
  if (schema.type === 'array') return `array${range(schema.minItems, schema.maxItems)}`;
  if (Array.isArray(schema.anyOf)) return 'one of the variants below';
  return String(schema.type ?? 'any');
}

function describeField(schema: Schema): string {
  const text = typeof schema.description === 'string' ? schema.description : '';
  return schema[PII_ANNOTATION] === true ? `${text} Personal data.`.trim() : text;
}

/** The discriminating `const` property of a union branch, e.g. `reason=UNKNOWN_SKU`. */
function discriminator(branch: Schema): string | undefined {
  if (!isSchema(branch.properties)) return undefined;
  for (const [name, property] of Object.entries(branch.properties)) {
    if (isSchema(property) && 'const' in property) return `${name}=${String(property.const)}`;
  }
  return undefined;
}

function walk(schema: Schema, prefix: string, rows: FieldRow[]): void {
  if (schema.type === 'array' && isSchema(schema.items)) {
    walkItems(schema.items, `${prefix}[]`, rows);
    return;
  }
  if (schema.type !== 'object' || !isSchema(schema.properties)) return;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isSchema(property)) continue;
    const path = prefix === '' ? name : `${prefix}.${name}`;
    rows.push({
      path,
      type: describeType(property),
      required: required.has(name),
      description: describeField(property),
    });
    walk(property, path, rows);
  }
}

function walkItems(items: Schema, prefix: string, rows: FieldRow[]): void {
  if (Array.isArray(items.anyOf) && values(items) === undefined) {
    for (const branch of items.anyOf) {
      if (!isSchema(branch)) continue;
      const label = discriminator(branch);
      walk(branch, label === undefined ? prefix : `${prefix}(${label})`, rows);
    }
    return;
  }
  walk(items, prefix, rows);
}

/** Every field of an object schema, depth first, in declaration order. */
export function schemaFields(schema: object): FieldRow[] {
  const rows: FieldRow[] = [];
  walk(schema as Schema, '', rows);
  return rows;
}
