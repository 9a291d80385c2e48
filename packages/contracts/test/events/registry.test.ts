import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Compile } from 'typebox/compile';
import {
  EVENT_REGISTRY,
  EVENT_TYPES,
  findDefinition,
  findLatestDefinition,
  isEventType,
  listDefinitions,
} from '../../src/events/registry.ts';
import type { ServiceName } from '../../src/services.ts';
import { businessTopics, topicsCarrying } from '../../src/topics.ts';
import { PII_ANNOTATION, UUID_PATTERN } from '../../src/values.ts';

/**
 * Services allowed to receive personal data (customer contact). Inventory and Payment never see it:
 * the Order Service keeps it and hands it only to the Notification Service, on the outcome topic.
 */
const PII_RECEIVERS: readonly ServiceName[] = ['notification-service'];

type Schema = Readonly<Record<string, unknown>>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every sub-schema, depth first, with its JSON pointer. */
function* subSchemas(schema: unknown, path = ''): Generator<[string, Schema]> {
  if (!isSchema(schema)) return;
  yield [path, schema];
  if (isSchema(schema.properties)) {
    for (const [name, child] of Object.entries(schema.properties))
      yield* subSchemas(child, `${path}/properties/${name}`);
  }
  if (schema.items !== undefined) yield* subSchemas(schema.items, `${path}/items`);
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    const branches = schema[keyword];
    if (Array.isArray(branches))
      for (const [index, branch] of branches.entries()) yield* subSchemas(branch, `${path}/${keyword}/${index}`);
  }
}

describe('registry shape', () => {
  test('versions should run 1, 2, 3 ... per type, each naming its own type', () => {
    for (const [type, versions] of Object.entries(EVENT_REGISTRY)) {
      assert.match(type, /^[A-Z][A-Za-z0-9]+$/);
      versions.forEach((definition, index) => {
        assert.equal(definition.type, type);
        assert.equal(definition.version, index + 1);
        assert.ok(Object.isFrozen(definition));
      });
    }
  });

  test('lookups should find every registered version and nothing else', () => {
    for (const definition of listDefinitions()) {
      assert.equal(findDefinition(definition.type, definition.version), definition);
      assert.ok(isEventType(definition.type));
    }
    assert.equal(findDefinition('OrderPlaced', 99), undefined);
    assert.equal(findDefinition('toString', 1), undefined);
    assert.equal(findLatestDefinition('constructor'), undefined);
    assert.ok(!isEventType('hasOwnProperty'));
    assert.deepEqual(EVENT_TYPES, Object.keys(EVENT_REGISTRY));
  });

  test('every example should be valid for its own schema and invariants', () => {
    for (const definition of listDefinitions()) {
      const validator = Compile(definition.schema);
      assert.ok(
        validator.Check(definition.example),
        `${definition.type} v${definition.version}: ${JSON.stringify(validator.Errors(definition.example))}`,
      );
      assert.equal(definition.invariants?.(definition.example), undefined);
    }
  });

  test('every object schema should be closed, so producers cannot send fields the contract does not know', () => {
    for (const definition of listDefinitions()) {
      for (const [path, schema] of subSchemas(definition.schema)) {
        if (schema.type === 'object')
          assert.equal(schema.additionalProperties, false, `${definition.type} ${path || '/'} is open`);
      }
    }
  });

  test('the partition key should be a required UUID field of every event', () => {
    for (const definition of listDefinitions()) {
      assert.ok(
        definition.schema.required?.includes(definition.key),
        `${definition.type}: ${definition.key} is not required`,
      );
      const keySchema = definition.schema.properties[definition.key] as Schema | undefined;
      assert.equal(keySchema?.pattern, UUID_PATTERN);
    }
  });

  test('every field should be described, for the generated docs', () => {
    for (const definition of listDefinitions()) {
      for (const [path, schema] of subSchemas(definition.schema)) {
        if (!path.includes('/properties/') || path.endsWith('/items')) continue;
        const isAnyOfBranch = /\/anyOf\/\d+$/.test(path);
        if (!isAnyOfBranch)
          assert.equal(typeof schema.description, 'string', `${definition.type} ${path} has no description`);
      }
    }
  });
});

describe('saga commands and replies', () => {
  test("every command should list replies that are registered events the command's sender consumes", () => {
    for (const definition of listDefinitions().filter((candidate) => candidate.kind === 'command')) {
      const [commandTopic] = topicsCarrying(definition.type);
      assert.ok(
        commandTopic !== undefined && (definition.replies?.length ?? 0) > 0,
        `${definition.type} has no replies`,
      );
      for (const reply of definition.replies ?? []) {
        assert.equal(findLatestDefinition(reply)?.kind, 'event', `${reply} is not a registered event`);
        const replyTopic = businessTopics().find((candidate) =>
          (candidate.events as readonly string[]).includes(reply),
        );
        assert.ok(
          replyTopic?.consumers.some((reader) => reader.service === commandTopic.owner),
          `${commandTopic.owner} does not consume ${reply}`,
        );
      }
    }
  });

  test('events should not declare replies', () => {
    for (const definition of listDefinitions().filter((candidate) => candidate.kind === 'event')) {
      assert.equal(definition.replies, undefined);
    }
  });
});

describe('personal data', () => {
  test('personal data should only travel on topics read by services allowed to receive it', () => {
    let carriers = 0;
    for (const definition of listDefinitions()) {
      const marked = [...subSchemas(definition.schema)].filter(([, schema]) => schema[PII_ANNOTATION] === true);
      if (marked.length === 0) continue;
      carriers += 1;
      for (const carrier of topicsCarrying(definition.type)) {
        for (const reader of carrier.consumers) {
          assert.ok(
            PII_RECEIVERS.includes(reader.service),
            `${definition.type} carries personal data to ${reader.service} via ${carrier.name}`,
          );
        }
      }
    }
    // The check must look at something: contacts exist, on the outcome events.
    assert.equal(carriers, 2);
  });
});
