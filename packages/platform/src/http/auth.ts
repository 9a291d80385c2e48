/**
 * Bearer-token authentication for every service's HTTP API, configured once from validated settings:
 * HS256 with a shared secret (the local stack and the tests, where the secret is generated) or an issuer's
 * JWKS with its issuer and audience (production). Every route declares its access (`config.access`): the
 * hook below enforces it, and the OpenAPI documents derive their security and 401/403 responses from it, so
 * the two never disagree. A route that declares nothing fails the boot: nothing is reachable by omission.
 */
import type { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Static } from 'typebox';
import Type from 'typebox';
import { platformError } from '../errors.ts';

/** Who may call what. A customer acts on their own data only (the route checks whose it is). */
export const ROLES = ['customer', 'operator', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** `public`: no token needed. Otherwise the roles of which the caller's token must carry at least one. */
export type Access = 'public' | readonly Role[];

/** The verified caller: the token's subject (a customer's id, an operator's or a service's name) and roles. */
export interface Principal {
  readonly subject: string;
  readonly roles: readonly Role[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (required on every route: a route without it fails the boot). */
    access?: Access;
  }
  interface FastifyRequest {
    /** The verified caller; set on every non-public route before its handler runs. */
    principal?: Principal;
  }
}

/** Issuer and audience of the tokens minted for the local stack and tests (HS256), unless configured. */
export const LOCAL_TOKEN_ISSUER = 'kafka-commerce-local';
export const LOCAL_TOKEN_AUDIENCE = 'kafka-commerce';
/** Shortest HS256 secret accepted: RFC 7518 requires a key at least as long as the hash (32 bytes). */
export const MIN_SECRET_LENGTH = 32;
/** Clock skew tolerated between the issuer and the services when checking `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Asymmetric algorithms accepted from a JWKS (never `none`, never HS* with a public key). */
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** The variables every service reads for its authentication (exactly one of the three sources). */
export const AuthEnvSchema = Type.Object({
  /** HS256 secret (at least 32 characters). `npm start` generates one into .run/auth-secret. */
  AUTH_JWT_SECRET: Type.Optional(Type.String({ minLength: MIN_SECRET_LENGTH })),
  /** A file holding the HS256 secret (what `npm start` passes), instead of AUTH_JWT_SECRET. */
  AUTH_JWT_SECRET_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** The issuer's JWKS URL (production): tokens are verified with its public keys. */
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Expected `iss`. Required with AUTH_JWKS_URL; default for HS256: LOCAL_TOKEN_ISSUER. */
  AUTH_JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  /** Expected `aud`. Required with AUTH_JWKS_URL; default for HS256: LOCAL_TOKEN_AUDIENCE. */
  AUTH_JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The token this service presents when it calls another service (role `service`). Needed with
   * AUTH_JWKS_URL by a service that makes such calls; with an HS256 secret the service mints its own.
   */
  AUTH_SERVICE_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
});
export type AuthEnv = Static<typeof AuthEnvSchema>;

export type AuthSettings =
  | { readonly kind: 'secret'; readonly secret: Uint8Array; readonly issuer: string; readonly audience: string }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

function configInvalid(problem: string): never {
  throw platformError('PLT_CONFIG_INVALID', `Invalid configuration:\n  ${problem}`, {
    hint: 'Set AUTH_JWT_SECRET or AUTH_JWT_SECRET_FILE (HS256), or AUTH_JWKS_URL with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE; `npm start` generates a local secret.',
    details: { problems: [problem] },
  });
}

/** Reads a secret file (a trailing newline is not part of the secret). */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return configInvalid(`AUTH_JWT_SECRET_FILE: cannot read ${path} (${(error as Error).message})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length < MIN_SECRET_LENGTH) {
    configInvalid(`AUTH_JWT_SECRET_FILE: the secret in ${path} is shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  return secret;
}

/**
 * The one authentication source the variables name. None, or more than one, stops the boot: a service is
 * never started open, and never with two sources of which one would silently win.
 */
export function authSettings(env: Readonly<AuthEnv>): AuthSettings {
  const sources = (['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET_FILE', 'AUTH_JWKS_URL'] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (sources.length === 0) configInvalid('no authentication configured: the API is never served without it');
  if (sources.length > 1) configInvalid(`set only one of ${sources.join(', ')}`);
  if (env.AUTH_JWKS_URL !== undefined) {
    if (env.AUTH_JWT_ISSUER === undefined || env.AUTH_JWT_AUDIENCE === undefined) {
      configInvalid('AUTH_JWKS_URL needs AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE');
    }
    return { kind: 'jwks', jwksUrl: env.AUTH_JWKS_URL, issuer: env.AUTH_JWT_ISSUER, audience: env.AUTH_JWT_AUDIENCE };
  }
  const secret = env.AUTH_JWT_SECRET ?? readSecretFile(env.AUTH_JWT_SECRET_FILE as string);
  return {
    kind: 'secret',
    secret: new TextEncoder().encode(secret),
    issuer: env.AUTH_JWT_ISSUER ?? LOCAL_TOKEN_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE ?? LOCAL_TOKEN_AUDIENCE,
  };
}

/** Why a token was refused (logged at debug, never sent: the client learns only PLT_UNAUTHENTICATED). */
export class InvalidTokenError extends Error {}

export interface TokenVerifier {
  /** The token's principal; rejects with InvalidTokenError when it is not a valid token of this issuer. */
  verify(token: string): Promise<Principal>;
}

function principalOf(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('token has no subject');
  const claimed = Array.isArray(payload.roles) ? payload.roles : [];
  const roles = ROLES.filter((role) => claimed.includes(role));
  return { subject: payload.sub, roles };
}

/**
 * Verified tokens kept, at most. A client sends the same token with every request until it expires (an
 * order's POST, then its status reads), and one HS256 verification costs about 80 µs of CPU here (WebCrypto:
 * a key import, a thread-pool job and a promise per call): several verifications per order on the hot path.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * HS256 keys by use and secret, imported once per process: given the secret's bytes, jose imports them as a
 * key on every call (a WebCrypto job of its own), for every token checked or minted. The load tool mints a
 * token for each of 10,000 customers per run; the few secrets a process uses (the local one, a test's) stay
 * for its lifetime.
 */
const hmacKeys = new Map<string, Promise<webcrypto.CryptoKey>>();

function hmacKey(secret: Uint8Array, use: 'sign' | 'verify'): Promise<webcrypto.CryptoKey> {
  const id = `${use}:${Buffer.from(secret).toString('base64')}`;
  let key = hmacKeys.get(id);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [use]);
    hmacKeys.set(id, key);
  }
  return key;
}

export interface TokenVerifierOptions {
  /** The clock, ms since the epoch (tests move it). Default: Date.now. */
  now?: () => number;
  /** Verified tokens remembered; 0 verifies every time. Default: VERIFIED_TOKEN_CACHE_SIZE. */
  cacheSize?: number;
}

export function createTokenVerifier(settings: AuthSettings, verifierOptions: TokenVerifierOptions = {}): TokenVerifier {
  const now = verifierOptions.now ?? Date.now;
  const cacheSize = verifierOptions.cacheSize ?? VERIFIED_TOKEN_CACHE_SIZE;
  // A token without an expiry would be valid forever once leaked: `exp` is required, like `sub`.
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'sub'],
    currentDate: undefined as Date | undefined,
  };
  /**
   * Token (the exact string: signature included) → its principal and expiry, for tokens that passed the full
   * check. Only the expiry can change a verified token's answer (signature, issuer, audience, subject and
   * `nbf`, already past, are fixed), so a hit checks the expiry alone, with the same tolerance. A refused
   * token is never kept. Oldest entries go first when full (a Map iterates in insertion order). With a
   * JWKS, a key the issuer withdraws stops new tokens at once; tokens already verified with it stay accepted
   * until they expire, as a resource server that never refetches them would.
   */
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  const verifyWith =
    settings.kind === 'secret'
      ? (() => {
          // Measured at 250 orders/s, importing the secret per check made token checks 8 % of the Order
          // Service's CPU (see hmacKey).
          const secret = settings.secret;
          let key: Promise<webcrypto.CryptoKey> | undefined;
          return async (token: string) => {
            key ??= hmacKey(secret, 'verify');
            return jwtVerify(token, await key, { ...options, currentDate: new Date(now()), algorithms: ['HS256'] });
          };
        })()
      : (() => {
          // Keys are fetched on first use and cached; an unknown `kid` refetches (rate-limited by jose).
          const keys = createRemoteJWKSet(new URL(settings.jwksUrl));
          return (token: string) =>
            jwtVerify(token, keys, { ...options, currentDate: new Date(now()), algorithms: JWKS_ALGORITHMS });
        })();
  const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1_000;
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known !== undefined) {
        if (now() < known.expiresAtMs + toleranceMs) return known.principal;
        verified.delete(token);
      }
      try {
        const { payload } = await verifyWith(token);
        const principal = principalOf(payload);
        if (cacheSize > 0) {
          if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
          // `exp` is required, so jose has checked it is a number.
          verified.set(token, { principal, expiresAtMs: (payload.exp as number) * 1_000 });
        }
        return principal;
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        // The issuer's key endpoint being down is not the client's fault: a 503, retried by the client.
        if (error instanceof joseErrors.JWKSTimeout || (error as { code?: string }).code === 'ERR_JWKS_INVALID') {
          throw platformError('PLT_INFRASTRUCTURE', "The token issuer's keys are unavailable", { cause: error });
        }
        throw new InvalidTokenError((error as Error).message, { cause: error });
      }
    },
  };
}

export interface MintTokenOptions {
  subject: string;
  roles: readonly Role[];
  /** Lifetime. Default: one hour. */
  ttlSeconds?: number;
  /** Default: LOCAL_TOKEN_ISSUER. */
  issuer?: string;
  /** Default: LOCAL_TOKEN_AUDIENCE. */
  audience?: string;
}

/** An HS256 token for the local stack, the tests, and a service's own calls (`npm run cli -- token`). */
export async function mintToken(secret: string | Uint8Array, options: MintTokenOptions): Promise<string> {
  const key = await hmacKey(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret, 'sign');
  return new SignJWT({ roles: [...options.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer ?? LOCAL_TOKEN_ISSUER)
    .setAudience(options.audience ?? LOCAL_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3_600}s`)
    .sign(key);
}

/**
 * The documentation UI's routes (registered by @fastify/swagger-ui, which takes no route config): public, like
 * the document itself. Every other route, the platform's own included, declares its access.
 */
function isPlatformPublic(url: string, docsPath: string): boolean {
  return url === docsPath || url.startsWith(`${docsPath}/`);
}

/**
 * `WWW-Authenticate` of a 401 (RFC 6750): `invalid_token` when a token was sent and refused; bare when none
 * was sent (the client did not know it needs one).
 */
function challenge(reply: FastifyReply, invalid: boolean): void {
  reply.header('www-authenticate', invalid ? 'Bearer error="invalid_token"' : 'Bearer');
}

/**
 * Enforces every route's `config.access` before anything else of the request runs (no body is parsed for a
 * caller who may not call the route). Without a verifier (an app built without auth, as some platform tests
 * do) every non-public route answers 401: the failure mode is closed, never open.
 */
export function enforceAccess(app: FastifyInstance, verifier: TokenVerifier | undefined, docsPath: string): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== undefined) return;
    if (isPlatformPublic(route.url, docsPath)) {
      route.config = { ...route.config, access: 'public' };
      return;
    }
    throw new Error(`route ${[route.method].flat().join(',')} ${route.url} declares no access (config.access)`);
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config?.access;
    // No route matched (the 404 handler) or a public one: nothing to check.
    if (access === undefined || access === 'public') return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header) : null;
    if (match === null || verifier === undefined) {
      challenge(reply, header !== undefined);
      throw platformError(
        'PLT_UNAUTHENTICATED',
        header === undefined ? 'This route needs a bearer token' : 'The Authorization header is not a bearer token',
      );
    }
    let principal: Principal;
    try {
      principal = await verifier.verify(match[1] as string);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      request.log.debug({ reason: error.message }, 'bearer token refused');
      challenge(reply, true);
      throw platformError('PLT_UNAUTHENTICATED', 'The bearer token is invalid or expired');
    }
    if (!principal.roles.some((role) => access.includes(role))) {
      throw platformError('PLT_FORBIDDEN', `This route needs the role ${access.join(' or ')}`);
    }
    request.principal = principal;
  });
}

/** The verified caller of a non-public route (the access hook has run before any handler). */
export function principal(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw platformError('PLT_UNAUTHENTICATED', 'No verified caller');
  return request.principal;
}

export function hasRole(caller: Principal, role: Role): boolean {
  return caller.roles.includes(role);
}

/** A minted service token is replaced this long before it expires, so no call carries an expiring one. */
const SERVICE_TOKEN_TTL_SECONDS = 3_600;
const SERVICE_TOKEN_RENEW_BEFORE_MS = 5 * 60 * 1_000;

/** The credential a service presents on its own calls to another service (the `service` role). */
export type ServiceCredential = () => Promise<string>;

/**
 * With an HS256 secret the service mints its own `service` token (sub: its name), renewed before expiry: the
 * secret is already shared by every service of the stack, so no further credential has to be distributed.
 * With a JWKS (production) the service cannot mint: it presents the token it was given (AUTH_SERVICE_TOKEN,
 * issued by the identity provider, e.g. through a client-credentials grant); undefined when it has none.
 */
export function serviceCredential(
  settings: AuthSettings,
  service: string,
  configuredToken: string | undefined,
): ServiceCredential | undefined {
  if (configuredToken !== undefined) return async () => configuredToken;
  if (settings.kind !== 'secret') return undefined;
  let current: { token: Promise<string>; renewAt: number } | undefined;
  return () => {
    if (current === undefined || Date.now() >= current.renewAt) {
      current = {
        token: mintToken(settings.secret, {
          subject: service,
          roles: ['service'],
          ttlSeconds: SERVICE_TOKEN_TTL_SECONDS,
          issuer: settings.issuer,
          audience: settings.audience,
        }),
        renewAt: Date.now() + SERVICE_TOKEN_TTL_SECONDS * 1_000 - SERVICE_TOKEN_RENEW_BEFORE_MS,
      };
    }
    return current.token;
  };
}
