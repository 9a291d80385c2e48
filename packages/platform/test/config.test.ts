import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { CommonEnvSchema, databaseUrl, loadEnv, parseBootstrapServers } from '../src/config.ts';
import { AppError } from '../src/errors.ts';

test('loadEnv should apply defaults, convert types and freeze the result', () => {
  const schema = Type.Object({ ...CommonEnvSchema.properties, PORT: Type.Integer({ default: 8081 }) });
  const config = loadEnv(schema, { PORT: '9000', UNRELATED: 'x' });
  assert.equal(config.PORT, 9000);
  assert.equal(config.KAFKA_BOOTSTRAP_SERVERS, 'localhost:9092');
  assert.equal(config.LOG_LEVEL, 'info');
  assert.equal(Object.isFrozen(config), true);
  assert.equal('UNRELATED' in config, false);
});

test('loadEnv should reject every invalid variable at once with PLT_CONFIG_INVALID', () => {
  const schema = Type.Object({ ...CommonEnvSchema.properties, PORT: Type.Integer({ default: 8081, maximum: 65_535 }) });
  assert.throws(
    () => loadEnv(schema, { PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' }),
    (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'PLT_CONFIG_INVALID');
      assert.match(error.message, /PORT/);
      assert.match(error.message, /LOG_LEVEL/);
      assert.match(error.message, /DATABASE_URL/);
      assert.equal(error.retryable, false);
      return true;
    },
  );
});

test('parseBootstrapServers should split and trim a comma-separated list', () => {
  assert.deepEqual(parseBootstrapServers(' a:1, b:2 ,,c:3'), ['a:1', 'b:2', 'c:3']);
});

test('databaseUrl should replace the database of a server URL', () => {
  assert.equal(
    databaseUrl('postgres://postgres@127.0.0.1:5432', 'orders'),
    'postgres://postgres@127.0.0.1:5432/orders',
  );
  assert.equal(databaseUrl('postgres://u:p@h:1/other?ssl=true', 'inventory'), 'postgres://u:p@h:1/inventory?ssl=true');
});
