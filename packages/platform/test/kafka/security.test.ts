import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaConnectionFromEnv, kafkaSecurityFromEnv } from '@shop/platform';

const SERVERS = { KAFKA_BOOTSTRAP_SERVERS: 'broker-1:9092' };

function credentialsDir(passwords: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-credentials-'));
  for (const [principal, password] of Object.entries(passwords)) writeFileSync(join(dir, principal), `${password}\n`);
  return dir;
}

test('an explicit user and password are used as given, SCRAM-SHA-512 by default', () => {
  const security = kafkaSecurityFromEnv(
    { ...SERVERS, KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 's3cret' },
    'order-service',
  );
  assert.deepEqual(security.sasl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 's3cret' });
  assert.equal(security.tls, undefined);
});

test('a password file is read (first line, trimmed); naming both a password and a file is refused', () => {
  const dir = credentialsDir({ pw: 'from-file' });
  const env = { ...SERVERS, KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw') };
  assert.equal(kafkaSecurityFromEnv(env, 'x').sasl?.password, 'from-file');
  assert.throws(() => kafkaSecurityFromEnv({ ...env, KAFKA_SASL_PASSWORD: 'p' }, 'x'), { code: 'PLT_CONFIG_INVALID' });
  assert.throws(
    () =>
      kafkaSecurityFromEnv({ ...SERVERS, KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD_FILE: join(dir, 'nope') }, 'x'),
    { code: 'PLT_CONFIG_INVALID' },
  );
});

test('a user without a password, or a password without a user, stops the process', () => {
  assert.throws(() => kafkaSecurityFromEnv({ ...SERVERS, KAFKA_SASL_USERNAME: 'alice' }, 'x'), {
    code: 'PLT_CONFIG_INVALID',
  });
  assert.throws(() => kafkaSecurityFromEnv({ ...SERVERS, KAFKA_SASL_PASSWORD: 'p' }, 'x'), {
    code: 'PLT_CONFIG_INVALID',
  });
});

test('KAFKA_CREDENTIALS_DIR logs each process in as its own principal', () => {
  const dir = credentialsDir({ 'order-service': 'o-pw', 'shop-lag-reader': 'l-pw' });
  const env = { ...SERVERS, KAFKA_CREDENTIALS_DIR: dir };
  assert.deepEqual(kafkaSecurityFromEnv(env, 'order-service').sasl, {
    mechanism: 'SCRAM-SHA-512',
    username: 'order-service',
    password: 'o-pw',
  });
  assert.equal(kafkaSecurityFromEnv(env, 'shop-lag-reader').sasl?.username, 'shop-lag-reader');
  assert.throws(() => kafkaSecurityFromEnv(env, 'payment-service'), { code: 'PLT_CONFIG_INVALID' });
});

test('nothing configured against a named cluster means plaintext; TLS files need KAFKA_TLS=true', () => {
  assert.deepEqual(kafkaSecurityFromEnv(SERVERS, 'order-service'), {});
  assert.throws(() => kafkaSecurityFromEnv({ ...SERVERS, KAFKA_TLS_CA_FILE: '/ca.pem' }, 'x'), {
    code: 'PLT_CONFIG_INVALID',
  });
  const dir = credentialsDir({ 'ca.pem': '-----BEGIN CERTIFICATE-----' });
  const tls = kafkaSecurityFromEnv({ ...SERVERS, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: join(dir, 'ca.pem') }, 'x').tls;
  assert.match(String(tls?.ca), /BEGIN CERTIFICATE/);
});

test('kafkaConnectionFromEnv carries the servers, the client id and the login', () => {
  const connection = kafkaConnectionFromEnv(
    {
      KAFKA_BOOTSTRAP_SERVERS: 'a:1, b:2',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SASL_MECHANISM: 'PLAIN',
    },
    { clientId: 'cli', principal: 'ignored' },
  );
  assert.deepEqual(connection.bootstrapServers, ['a:1', 'b:2']);
  assert.equal(connection.clientId, 'cli');
  assert.deepEqual(connection.security.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p' });
});
