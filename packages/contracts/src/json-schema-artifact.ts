/**
 * The JSON Schema artifact of one event version, as committed under docs/schemas/ for consumers
 * written in other languages. The file name is the event-type and event-version headers verbatim
 * (`OrderPlaced.v1.json`), so a reader maps a record to its schema without any naming convention.
 */
import type { AnyEventDefinition } from './events/define-event.ts';
import type { TopicDefinition } from './topics.ts';

/** The JSON Schema dialect of the artifacts (TypeBox emits 2020-12 compatible schemas). */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Folder of the artifacts, relative to the repository root. */
export const SCHEMA_ARTIFACT_DIR = 'docs/schemas';

/** File name of the artifact of `type` at `version`. */
export function schemaArtifactFileName(type: string, version: number): string {
  return `${type}.v${version}.json`;
}

/** Stable identifier of the artifact of `type` at `version`. */
export function schemaArtifactId(type: string, version: number): string {
  return `urn:shop:events:${type}:v${version}`;
}

/**
 * The artifact: the payload schema plus metadata a foreign consumer needs (`x-` keywords are
 * annotations that validators ignore). Readers must ignore properties they do not know: a newer
 * version may add optional fields, and the closed schema of an older version would reject them.
 */
export function toJsonSchemaArtifact(
  definition: AnyEventDefinition,
  topics: readonly TopicDefinition[],
): Record<string, unknown> {
  const carrying = topics.filter((candidate) => (candidate.events as readonly string[]).includes(definition.type));
  return {
    $schema: SCHEMA_DIALECT,
    $id: schemaArtifactId(definition.type, definition.version),
    title: `${definition.type} v${definition.version}`,
    description: definition.summary,
    'x-event-type': definition.type,
    'x-event-version': definition.version,
    'x-kind': definition.kind,
    'x-partition-key': definition.key,
    'x-topics': carrying
      .filter((candidate) => candidate.kind === 'event' || candidate.kind === 'command')
      .map((candidate) => candidate.name),
    ...(definition.replies === undefined ? {} : { 'x-replies': definition.replies }),
    ...definition.schema,
    examples: [definition.example],
  };
}

/** The artifact serialized as committed: two-space JSON with a final newline. */
export function renderJsonSchemaArtifact(definition: AnyEventDefinition, topics: readonly TopicDefinition[]): string {
  return `${JSON.stringify(toJsonSchemaArtifact(definition, topics), null, 2)}\n`;
}
