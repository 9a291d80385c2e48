/**
 * Turns a validator's error list into one message that names the offending field by JSON pointer,
 * e.g. `/value/lines/0/quantity must be >= 1`. The first relevant error is reported (with a count of
 * the rest): one precise field helps the operator reading a dead letter more than twenty derived ones.
 */
import type { TLocalizedValidationError } from 'typebox/error';

/** One field at fault. */
export interface FieldError {
  /** JSON pointer into the record, e.g. `/value/lines/0/quantity`. */
  readonly field: string;
  /** `<field> <problem>`, e.g. `/value/lines/0/quantity must be >= 1`. */
  readonly message: string;
  /** How many distinct problems were found in total (at least 1). */
  readonly count: number;
}

interface Problem {
  readonly pointer: string;
  readonly text: string;
}

/** Escapes one property name as a JSON pointer reference token (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

const UNION_BRANCH = /^(.*)\/anyOf\/(\d+)(?:\/|$)/;

/**
 * Errors inside a union (`anyOf`) report every branch's mismatch. Keep the branches the value was
 * meant for (no `const` mismatch: its discriminator matched); when none matches, report the
 * discriminator itself with the allowed values, or the union as a whole.
 */
function resolveUnions(errors: readonly TLocalizedValidationError[]): Problem[] {
  const unions = new Map<string, Map<number, TLocalizedValidationError[]>>();
  const plain: TLocalizedValidationError[] = [];
  for (const error of errors) {
    const match = UNION_BRANCH.exec(error.schemaPath);
    if (match === null) {
      plain.push(error);
      continue;
    }
    const key = `${match[1]}@${unionInstancePath(error, errors, match[1] as string)}`;
    const branches = unions.get(key) ?? new Map<number, TLocalizedValidationError[]>();
    const branch = Number(match[2]);
    branches.set(branch, [...(branches.get(branch) ?? []), error]);
    unions.set(key, branches);
  }
  const problems = plain.filter((error) => error.keyword !== 'anyOf' || !hasBranchErrors(error, unions)).map(toProblem);
  for (const [key, branches] of unions) {
    const matching = [...branches.values()].filter((branchErrors) => branchErrors.every((e) => e.keyword !== 'const'));
    if (matching.length > 0) {
      // Grouping is by the innermost union, so these errors hold no further union to resolve.
      problems.push(...matching.flat().map(toProblem));
      continue;
    }
    const constErrors = [...branches.values()].flat().filter((e) => e.keyword === 'const');
    const pointers = new Set(constErrors.map((e) => e.instancePath));
    const allowed = constErrors.map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue));
    if (pointers.size === 1) {
      problems.push({ pointer: [...pointers][0] as string, text: `must be one of ${allowed.join(', ')}` });
    } else {
      problems.push({ pointer: key.slice(key.indexOf('@') + 1), text: 'matches none of the allowed shapes' });
    }
  }
  return problems;
}

function unionInstancePath(
  error: TLocalizedValidationError,
  all: readonly TLocalizedValidationError[],
  unionSchemaPath: string,
): string {
  const summary = all.find((candidate) => candidate.keyword === 'anyOf' && candidate.schemaPath === unionSchemaPath);
  return summary?.instancePath ?? error.instancePath;
}

function hasBranchErrors(anyOf: TLocalizedValidationError, unions: Map<string, unknown>): boolean {
  return unions.has(`${anyOf.schemaPath}@${anyOf.instancePath}`);
}

function toProblem(error: TLocalizedValidationError): Problem {
  if (error.keyword === 'required') {
    const [property] = error.params.requiredProperties;
    return { pointer: `${error.instancePath}/${escapePointerToken(String(property))}`, text: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const [property] = error.params.additionalProperties;
    return {
      pointer: `${error.instancePath}/${escapePointerToken(String(property))}`,
      text: 'is not allowed (not in the schema)',
    };
  }
  return { pointer: error.instancePath, text: error.message };
}

/**
 * Describes `errors` (from `Validator.Errors`) as one field error, pointers prefixed with `root`
 * (`/value` for a record's payload). Returns a generic problem at `root` if the list is empty.
 */
export function describeSchemaErrors(errors: readonly TLocalizedValidationError[], root: string): FieldError {
  // `boolean` errors ("schema is false") restate an additionalProperties error at the property itself.
  const relevant = errors.filter((error) => error.keyword !== 'boolean');
  const problems = resolveUnions(relevant);
  const unique = [...new Map(problems.map((problem) => [`${problem.pointer} ${problem.text}`, problem])).values()];
  const first = unique[0] ?? { pointer: '', text: 'does not match the schema' };
  const field = `${root}${first.pointer}`;
  const more = unique.length > 1 ? ` (and ${unique.length - 1} more problem${unique.length > 2 ? 's' : ''})` : '';
  return { field, message: `${field} ${first.text}${more}`, count: Math.max(1, unique.length) };
}
