/**
 * The shape of one published version of one event (or command), and the helper that declares it.
 *
 * A definition is data: its `type` and `version` are written out, never derived from a class or file
 * name, so renaming code can never change what goes on the wire. A published definition is never
 * edited: a change is a new version beside it, checked by the compatibility test.
 */
import type { Static, TObject } from 'typebox';

/** Whether a record states a fact (`event`, past tense) or asks a service to act (`command`, imperative). */
export type EventKind = 'event' | 'command';

/** A rule JSON Schema cannot express, found broken in a payload. */
export interface InvariantViolation {
  /** JSON pointer into the payload, e.g. `/lines/1/sku`. */
  readonly path: string;
  /** What is wrong, e.g. `duplicates /lines/0/sku`. */
  readonly message: string;
}

/** The string-valued top-level fields of a payload type: the candidates for the partition key. */
export type StringFieldOf<P> = { [K in keyof P]-?: P[K] extends string ? K : never }[keyof P] & string;

/** One published version of one event type. */
export interface EventDefinition<
  Type extends string = string,
  Version extends number = number,
  Schema extends TObject = TObject,
> {
  /** PascalCase event type, carried in the `event-type` header. */
  readonly type: Type;
  /** Schema version, an integer from 1, carried in the `event-version` header. */
  readonly version: Version;
  /** Fact or command. */
  readonly kind: EventKind;
  /** The payload's JSON Schema (TypeBox), closed: unknown properties are rejected on produce. */
  readonly schema: Schema;
  /** Top-level payload field whose value is the Kafka record key. */
  readonly key: StringFieldOf<Static<Schema>>;
  /** One sentence: what happened (or what is asked) and who reacts. */
  readonly summary: string;
  /** A valid payload, used in the docs, the JSON Schema artifact and the round-trip tests. */
  readonly example: Static<Schema>;
  /** For commands: the event types the receiver answers with. */
  readonly replies?: readonly string[];
  /**
   * Rules beyond JSON Schema (e.g. distinct SKUs, totals that add up), checked on produce and on
   * consume after the schema passed. Absent means none.
   */
  invariants?(payload: Static<Schema>): InvariantViolation | undefined;
}

/**
 * Any event definition, with the payload type erased: what registries, codecs and generators handle.
 * Every {@link EventDefinition} is assignable to it.
 */
export interface AnyEventDefinition {
  readonly type: string;
  readonly version: number;
  readonly kind: EventKind;
  readonly schema: TObject;
  readonly key: string;
  readonly summary: string;
  readonly example: unknown;
  readonly replies?: readonly string[];
  invariants?(payload: unknown): InvariantViolation | undefined;
}

/** Declares one published event version; the result is frozen. */
export function defineEvent<const Type extends string, const Version extends number, Schema extends TObject>(
  definition: EventDefinition<Type, Version, Schema>,
): EventDefinition<Type, Version, Schema> {
  return Object.freeze(definition);
}
