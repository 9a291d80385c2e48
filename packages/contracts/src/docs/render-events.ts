/** Renders docs/events.md (and the event sections of docs/design/contracts.md) from the registry. */
import { COMPATIBILITY_RULES, type CompatibilityIssueKind } from '../compatibility.ts';
import { CONTRACT_ERROR_CODES, CONTRACT_ERRORS } from '../errors.ts';
import type { AnyEventDefinition } from '../events/define-event.ts';
import { EVENT_REGISTRY, listDefinitions } from '../events/registry.ts';
import { HEADER_SPECS } from '../headers.ts';
import { SCHEMA_ARTIFACT_DIR, schemaArtifactFileName } from '../json-schema-artifact.ts';
import { TOPICS, type TopicDefinition } from '../topics.ts';
import { cell, code, generatedBanner, table } from './markdown.ts';
import { schemaFields } from './schema-fields.ts';

function businessTopicsOf(definition: AnyEventDefinition): TopicDefinition[] {
  return TOPICS.filter(
    (candidate) =>
      (candidate.kind === 'event' || candidate.kind === 'command') &&
      (candidate.events as readonly string[]).includes(definition.type),
  );
}

function consumersOf(topics: readonly TopicDefinition[]): string {
  const services = new Set(topics.flatMap((candidate) => candidate.consumers.map((reader) => reader.service)));
  return [...services].join(', ');
}

function topFields(definition: AnyEventDefinition): string {
  const required = new Set(definition.schema.required ?? []);
  return Object.keys(definition.schema.properties)
    .map((name) => (required.has(name) ? name : `${name}?`))
    .join(', ');
}

function eventsTable(): string {
  const rows = listDefinitions().map((definition) => {
    const topics = businessTopicsOf(definition);
    return [
      `[${definition.type}](#${anchor(definition)})`,
      String(definition.version),
      definition.kind,
      topics.map((candidate) => code(candidate.name)).join('<br>'),
      code(definition.key),
      [...new Set(topics.map((candidate) => candidate.owner))].join(', '),
      consumersOf(topics),
      cell(topFields(definition)),
    ];
  });
  return table(['Type', 'Version', 'Kind', 'Topic', 'Key', 'Producer', 'Consumers', 'Fields (? = optional)'], rows);
}

function anchor(definition: AnyEventDefinition): string {
  return `${definition.type.toLowerCase()}-v${definition.version}`;
}

/** The header table: name, required, format, meaning, and why it is a header. */
export function renderHeadersTable(): string {
  return table(
    ['Header', 'Required', 'Format', 'Meaning', 'Why a header'],
    HEADER_SPECS.map((spec) => [
      code(spec.name),
      spec.required ? 'yes' : 'no',
      cell(spec.format),
      cell(spec.description),
      cell(spec.whyHeader),
    ]),
  );
}

function errorsTable(): string {
  return table(
    ['Code', 'Raised on', 'Meaning'],
    CONTRACT_ERROR_CODES.map((errorCode) => [
      code(errorCode),
      CONTRACT_ERRORS[errorCode].stage,
      cell(CONTRACT_ERRORS[errorCode].description),
    ]),
  );
}

function compatibilityTable(): string {
  return table(
    ['Change', 'Breaks', 'Why'],
    (Object.keys(COMPATIBILITY_RULES) as CompatibilityIssueKind[]).map((kind) => [
      code(kind),
      COMPATIBILITY_RULES[kind].breaks.join(', '),
      cell(COMPATIBILITY_RULES[kind].explanation),
    ]),
  );
}

/**
 * One event version: summary, where it travels, its fields and an example. `headingLevel` lets the
 * same section sit under different headings in events.md and contracts.md; `schemaLinkPrefix` is the
 * relative path from the including document to docs/.
 */
export function renderEventSection(
  definition: AnyEventDefinition,
  headingLevel: number,
  schemaLinkPrefix: string,
): string {
  const topics = businessTopicsOf(definition);
  const heading = '#'.repeat(headingLevel);
  const replies = definition.replies === undefined ? '' : `\n- Replies: ${definition.replies.join(', ')}`;
  const schemaFile = `${schemaLinkPrefix}${SCHEMA_ARTIFACT_DIR.replace(/^docs\//, '')}/${schemaArtifactFileName(definition.type, definition.version)}`;
  const fields = table(
    ['Field', 'Type', 'Required', 'Description'],
    schemaFields(definition.schema).map((row) => [
      code(row.path),
      cell(row.type),
      row.required ? 'yes' : 'no',
      cell(row.description),
    ]),
  );
  return `${heading} ${definition.type} v${definition.version}

${definition.summary}

- Kind: ${definition.kind}
- Topic: ${topics.map((candidate) => `\`${candidate.name}\``).join(', ')} (producer: ${[...new Set(topics.map((candidate) => candidate.owner))].join(', ')}; consumers: ${consumersOf(topics)})
- Partition key: \`${definition.key}\`${replies}
- JSON Schema: [${schemaArtifactFileName(definition.type, definition.version)}](${schemaFile})

${fields}

Example payload (the record value; metadata travels in headers):

\`\`\`json
${JSON.stringify(definition.example, null, 2)}
\`\`\``;
}

/** The content of docs/events.md. */
export function renderEventsDoc(): string {
  const sections = Object.values(EVENT_REGISTRY)
    .flat()
    .map((definition) => renderEventSection(definition, 3, ''))
    .join('\n\n');
  return `# Events

${generatedBanner('packages/contracts/src/events/ and headers.ts')}

Every event and command with its topic, key, producer, consumers and fields. Types are PascalCase and written in the
\`event-type\` header; versions are integers in the \`event-version\` header. Payloads are JSON (money as integer minor
units plus an ISO 4217 code, times as ISO 8601 UTC, ids as lowercase UUIDs). Each version's JSON Schema is committed under
[docs/schemas/](schemas/). Design reasons: [design/contracts.md](design/contracts.md).

## Events table

${eventsTable()}

## Headers

${renderHeadersTable()}

## Contract error codes

Decoding never throws: it returns one of these codes with a reason naming the field (a JSON pointer into the record,
\`/value/...\` or \`/headers/<name>\`). None is retryable: the consumer runner dead-letters the record at once.
Encoding throws an \`AppError\` with the same codes, so a producer bug never reaches Kafka.

${errorsTable()}

## Compatibility rules

A new version must be fully compatible with the previous one (see the evolution policy in
[design/contracts.md](design/contracts.md)); the compatibility test reports these changes:

${compatibilityTable()}

## Event versions

${sections}
`;
}
