import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Compile } from 'typebox/compile';
import { OrderPlacedV1 } from '../src/events/order-placed.ts';
import { listDefinitions } from '../src/events/registry.ts';
import {
  renderJsonSchemaArtifact,
  SCHEMA_DIALECT,
  schemaArtifactFileName,
  toJsonSchemaArtifact,
} from '../src/json-schema-artifact.ts';
import { TOPICS } from '../src/topics.ts';

test('each artifact should be a standalone JSON Schema that accepts its example and rejects a broken one', () => {
  for (const definition of listDefinitions()) {
    const artifact = JSON.parse(renderJsonSchemaArtifact(definition, TOPICS)) as Record<string, unknown>;
    assert.equal(artifact.$schema, SCHEMA_DIALECT);
    assert.equal(artifact['x-event-type'], definition.type);
    assert.equal(artifact['x-event-version'], definition.version);
    const validator = Compile(artifact as never);
    assert.ok(validator.Check(definition.example));
    assert.ok(!validator.Check({ ...(definition.example as object), unexpected: true }));
  }
});

test('the artifact file name should be the event-type and event-version headers verbatim', () => {
  assert.equal(schemaArtifactFileName('OrderPlaced', 1), 'OrderPlaced.v1.json');
});

test('the artifact should name the business topic and partition key', () => {
  const artifact = toJsonSchemaArtifact(OrderPlacedV1, TOPICS);
  assert.equal(artifact['x-partition-key'], 'orderId');
  assert.equal((artifact['x-topics'] as string[]).length, 1);
});
