import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHttpApp } from '../../src/http/app.ts';
import { authSettings, createTokenVerifier, InvalidTokenError, mintToken } from '../../src/http/auth.ts';
import { createLogger, isAppError } from '../../src/index.ts';

const SECRET = randomBytes(32).toString('hex');

async function appWithRoutes() {
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }));
  const app = await createHttpApp({
    service: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    auth: verifier,
  });
  app.get('/mine', { config: { access: ['customer', 'operator'] } }, async (request) => ({
    subject: request.principal?.subject,
  }));
  app.put('/stock', { config: { access: ['operator'] } }, async () => ({ changed: true }));
  app.get('/catalog', { config: { access: 'public' } }, async () => ({ items: [] }));
  await app.ready();
  return app;
}

test('a route that needs a token should answer 401 PLT_UNAUTHENTICATED with a Bearer challenge without one', async (t) => {
  const app = await appWithRoutes();
  t.after(() => app.close());
  const none = await app.inject({ method: 'GET', url: '/mine' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().error.code, 'PLT_UNAUTHENTICATED');
  assert.equal(none.headers['www-authenticate'], 'Bearer');

  const basic = await app.inject({ method: 'GET', url: '/mine', headers: { authorization: 'Basic YTpi' } });
  assert.equal(basic.statusCode, 401);
  assert.equal(basic.headers['www-authenticate'], 'Bearer error="invalid_token"');

  // The public route and the platform's own stay open.
  assert.equal((await app.inject({ method: 'GET', url: '/catalog' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 200);
});

test('a token signed with another secret, unsigned, expired, without expiry, of another issuer or without a subject should be refused with 401', async (t) => {
  const app = await appWithRoutes();
  t.after(() => app.close());
  const key = new TextEncoder().encode(SECRET);
  const tokens = {
    otherSecret: await mintToken(randomBytes(32).toString('hex'), { subject: 'c', roles: ['customer'] }),
    expired: await new SignJWT({ roles: ['customer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('c')
      .setIssuer('kafka-commerce-local')
      .setAudience('kafka-commerce')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key),
    otherIssuer: await mintToken(SECRET, { subject: 'c', roles: ['customer'], issuer: 'someone-else' }),
    noSubject: await new SignJWT({ roles: ['customer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('kafka-commerce-local')
      .setAudience('kafka-commerce')
      .setExpirationTime('1h')
      .sign(key),
    noExpiry: await new SignJWT({ roles: ['customer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('c')
      .setIssuer('kafka-commerce-local')
      .setAudience('kafka-commerce')
      .sign(key),
    unsigned: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'c', roles: ['operator'], iss: 'kafka-commerce-local', aud: 'kafka-commerce', exp: 9e9 }),
    ).toString('base64url')}.`,
    garbage: 'not.a.token',
  };
  for (const [what, token] of Object.entries(tokens)) {
    const answer = await app.inject({ method: 'GET', url: '/mine', headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.statusCode, 401, what);
    assert.equal(answer.json().error.code, 'PLT_UNAUTHENTICATED', what);
    assert.equal(answer.headers['www-authenticate'], 'Bearer error="invalid_token"', what);
  }
});

test('a valid token without the route’s role should answer 403 PLT_FORBIDDEN, and one with it should pass', async (t) => {
  const app = await appWithRoutes();
  t.after(() => app.close());
  const customer = await mintToken(SECRET, { subject: 'c-1', roles: ['customer'] });
  const operator = await mintToken(SECRET, { subject: 'ops', roles: ['operator'] });
  const refused = await app.inject({ method: 'PUT', url: '/stock', headers: { authorization: `Bearer ${customer}` } });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'PLT_FORBIDDEN');
  const allowed = await app.inject({ method: 'PUT', url: '/stock', headers: { authorization: `Bearer ${operator}` } });
  assert.equal(allowed.statusCode, 200);
  const mine = await app.inject({ method: 'GET', url: '/mine', headers: { authorization: `Bearer ${customer}` } });
  assert.deepEqual(mine.json(), { subject: 'c-1' });
});

test('the OpenAPI document should name the bearer scheme, each operation’s roles and its 401/403 codes', async (t) => {
  const app = await appWithRoutes();
  t.after(() => app.close());
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.equal(document.components.securitySchemes.bearerAuth.scheme, 'bearer');
  const stock = document.paths['/stock'].put;
  assert.deepEqual(stock.security, [{ bearerAuth: ['operator'] }]);
  assert.deepEqual(stock.responses['401'].content['application/json'].schema.properties.error.properties.code.enum, [
    'PLT_UNAUTHENTICATED',
  ]);
  assert.deepEqual(stock.responses['403'].content['application/json'].schema.properties.error.properties.code.enum, [
    'PLT_FORBIDDEN',
  ]);
  const catalog = document.paths['/catalog'].get;
  assert.deepEqual(catalog.security, []);
  assert.equal(catalog.responses['401'], undefined);
});

test('a route that declares no access should fail the boot, naming the route', async (t) => {
  const app = await createHttpApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }) });
  t.after(() => app.close());
  assert.throws(() => app.get('/forgotten', async () => ({})), /GET \/forgotten declares no access/);
});

test('the configuration should refuse no source, two sources, a short secret file and a JWKS without issuer', () => {
  const refused = (env: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => authSettings(env),
      (error: unknown) => isAppError(error) && error.code === 'PLT_CONFIG_INVALID' && pattern.test(error.message),
    );
  refused({}, /no authentication configured/);
  refused({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://issuer.example/jwks' }, /only one of/);
  refused({ AUTH_JWKS_URL: 'https://issuer.example/jwks' }, /AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE/);
  const directory = mkdtempSync(join(tmpdir(), 'auth-'));
  writeFileSync(join(directory, 'short'), 'short\n');
  refused({ AUTH_JWT_SECRET_FILE: join(directory, 'short') }, /shorter than 32/);
  refused({ AUTH_JWT_SECRET_FILE: join(directory, 'missing') }, /cannot read/);
  writeFileSync(join(directory, 'good'), `${SECRET}\n`);
  const settings = authSettings({ AUTH_JWT_SECRET_FILE: join(directory, 'good') });
  assert.equal(settings.kind, 'secret');
});

test('with a JWKS, tokens of the issuer should be verified with its published keys, and others refused', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const verifier = createTokenVerifier(
    authSettings({
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      AUTH_JWT_ISSUER: 'https://issuer.example/',
      AUTH_JWT_AUDIENCE: 'shop-api',
    }),
  );
  const sign = (issuer: string, audience: string) =>
    new SignJWT({ roles: ['operator', 'unknown-role'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('ops-1')
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(privateKey);
  assert.deepEqual(await verifier.verify(await sign('https://issuer.example/', 'shop-api')), {
    subject: 'ops-1',
    roles: ['operator'],
  });
  await assert.rejects(verifier.verify(await sign('https://other.example/', 'shop-api')), InvalidTokenError);
  await assert.rejects(verifier.verify(await sign('https://issuer.example/', 'other-api')), InvalidTokenError);
  // An HS256 token "signed" with the public key must never pass (algorithm confusion).
  const confused = await new SignJWT({ roles: ['operator'] })
    .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
    .setSubject('ops-1')
    .setIssuer('https://issuer.example/')
    .setAudience('shop-api')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JSON.stringify(jwk)));
  await assert.rejects(verifier.verify(confused), InvalidTokenError);
});

/** An HS256 token of the local issuer with explicit times (seconds), for the clock-moving tests below. */
function timedToken(subject: string, times: { nbf: number; exp: number }): Promise<string> {
  return new SignJWT({ roles: ['customer'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer('kafka-commerce-local')
    .setAudience('kafka-commerce')
    .setIssuedAt(times.nbf)
    .setNotBefore(times.nbf)
    .setExpirationTime(times.exp)
    .sign(new TextEncoder().encode(SECRET));
}

test('a verified token should be answered from the cache until it expires, then refused', async () => {
  let clockMs = Date.UTC(2026, 0, 1, 12);
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }), { now: () => clockMs });
  const start = clockMs / 1_000;
  const token = await timedToken('customer-a', { nbf: start, exp: start + 60 });
  assert.equal((await verifier.verify(token)).subject, 'customer-a');
  clockMs += 60_000 + 4_000; // past `exp`, within the 5 s clock tolerance
  assert.equal((await verifier.verify(token)).subject, 'customer-a');
  clockMs += 2_000; // past the tolerance: the cached entry must not outlive the token
  await assert.rejects(verifier.verify(token), InvalidTokenError);
});

test('a cached token should not make a look-alike valid: another signature on the same claims is refused', async () => {
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }));
  const now = Math.floor(Date.now() / 1_000);
  const token = await timedToken('customer-b', { nbf: now, exp: now + 60 });
  await verifier.verify(token);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  await assert.rejects(verifier.verify(`${header}.${payload}.${flipped}`), InvalidTokenError);
  const forged = await new SignJWT({ roles: ['operator'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('customer-b')
    .setIssuer('kafka-commerce-local')
    .setAudience('kafka-commerce')
    .setExpirationTime(now + 60)
    .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters'));
  await assert.rejects(verifier.verify(forged), InvalidTokenError);
});

test('the verified-token cache should keep at most its size, dropping the oldest, and with size 0 verify every time', async () => {
  let clockMs = Date.UTC(2026, 0, 1, 12);
  const start = clockMs / 1_000;
  const first = await timedToken('customer-1', { nbf: start, exp: start + 600 });
  const second = await timedToken('customer-2', { nbf: start, exp: start + 600 });
  // A clock moved back before `nbf` tells a cached token (accepted: only the expiry is checked again) from
  // one verified afresh (refused: not valid yet).
  const small = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }), { now: () => clockMs, cacheSize: 1 });
  await small.verify(first);
  await small.verify(second);
  clockMs -= 60_000;
  assert.equal((await small.verify(second)).subject, 'customer-2', 'the newest is cached');
  await assert.rejects(small.verify(first), InvalidTokenError, 'the oldest was dropped and verified afresh');

  clockMs = start * 1_000;
  const none = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }), { now: () => clockMs, cacheSize: 0 });
  await none.verify(first);
  clockMs -= 60_000;
  await assert.rejects(none.verify(first), InvalidTokenError);
});

test('an HS256 verifier should import its key once, not once per token it verifies', async (t) => {
  const importKey = t.mock.method(crypto.subtle, 'importKey');
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }), { cacheSize: 0 });
  const now = Math.floor(Date.now() / 1_000);
  for (let n = 0; n < 5; n++) {
    const token = await timedToken(`customer-${n}`, { nbf: now, exp: now + 60 });
    const imports = importKey.mock.callCount();
    assert.equal((await verifier.verify(token)).subject, `customer-${n}`);
    if (n > 0) assert.equal(importKey.mock.callCount(), imports, `verification ${n + 1} imported a key`);
  }
  // A wrong signature is still refused with the imported key.
  const [header, payload, signature] = (await timedToken('customer-x', { nbf: now, exp: now + 60 })).split('.') as [
    string,
    string,
    string,
  ];
  const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  await assert.rejects(verifier.verify(`${header}.${payload}.${flipped}`), InvalidTokenError);
});

test('minting should import a secret as a key once, and tokens minted with another secret should be refused', async (t) => {
  const importKey = t.mock.method(crypto.subtle, 'importKey');
  const other = 'another-secret-of-at-least-32-characters!';
  await mintToken(SECRET, { subject: 'warm', roles: ['customer'] });
  const imports = importKey.mock.callCount();
  const tokens = await Promise.all(
    Array.from({ length: 5 }, (_, n) => mintToken(SECRET, { subject: `customer-${n}`, roles: ['customer'] })),
  );
  assert.equal(importKey.mock.callCount(), imports, 'minting with a known secret imported a key');
  const verifier = createTokenVerifier(authSettings({ AUTH_JWT_SECRET: SECRET }), { cacheSize: 0 });
  for (const [n, token] of tokens.entries()) assert.equal((await verifier.verify(token)).subject, `customer-${n}`);
  // Keys are per secret: a token minted with another one is signed with that one, and refused here.
  await assert.rejects(
    verifier.verify(await mintToken(other, { subject: 'x', roles: ['customer'] })),
    InvalidTokenError,
  );
});
