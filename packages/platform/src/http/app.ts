import { STATUS_CODES } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import {
  classifyError,
  type ErrorCatalogue,
  HTTP_ERRORS,
  type HttpErrorCode,
  isAppError,
  PLATFORM_ERRORS,
} from '../errors.ts';
import type { Logger } from '../logger.ts';
import { remoteParent } from '../tracing.ts';
import { type Access, enforceAccess, type TokenVerifier } from './auth.ts';
import { registerHttpMetrics } from './http-metrics.ts';

/** Requests larger than this are refused with 413 before they are parsed. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;
/** The service's OpenAPI 3.1 document, generated from the route schemas (published under docs/api/). */
export const OPENAPI_PATH = '/openapi.json';
/** A browsable reference of that document (Swagger UI, served from the npm package, no CDN). */
export const API_DOCS_PATH = '/docs';
/** `info.version` of the OpenAPI documents: the API's version, changed with an incompatible change. */
export const API_VERSION = '1.0.0';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  /** Default: DEFAULT_BODY_LIMIT_BYTES. */
  bodyLimit?: number;
  /**
   * Makes a server span per request (continuing an incoming `traceparent`), active while the route's
   * handler runs. Default: none (no spans: tracing is off).
   */
  tracer?: Tracer;
  /**
   * Counts every request and its latency by route template in this registry
   * (`<service>_http_requests_total`, `<service>_http_request_duration_seconds`, see http-metrics.ts).
   * Default: none (no HTTP metrics).
   */
  registry?: Registry;
  /**
   * Verifies the bearer tokens of every route whose `config.access` is not `public`. Default: none, and
   * then every such route answers 401 (services always pass one: startService refuses to run without).
   */
  auth?: TokenVerifier;
}

/** Probes and scrapes: a span each would bury the requests worth tracing. */
const UNTRACED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

/** Every error body has this shape, so clients branch on `error.code`, never on the message. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** ErrorBody as JSON Schema, for the OpenAPI documents: every operation's `default` response. */
const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code (HTTP_VALIDATION_FAILED, ORD_..., INV_..., ...).' },
        message: { type: 'string' },
        details: { description: 'The offending fields of a validation error.' },
      },
    },
  },
} as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The stable error codes the route's handler answers with (routeErrors), documented as its error
     * responses together with those every route shares (documentedErrors). Documentation only: it changes
     * neither validation nor what the route sends. Default: none beyond the shared ones.
     */
    errors?: RouteErrors;
  }
}

/** Error codes with the HTTP status each one answers with. */
export type RouteErrors = Readonly<Record<string, { readonly httpStatus: number }>>;

/**
 * Every route of a service's API reads or writes its database: with the database (or, for a route that
 * publishes, the broker) unreachable it answers 503 with this code (classifyError).
 */
const API_ROUTE_ERRORS: RouteErrors = { PLT_INFRASTRUCTURE: PLATFORM_ERRORS.PLT_INFRASTRUCTURE };

/**
 * The route's entry for `config.errors`: the named codes of the service's catalogue with their statuses
 * (from the catalogue, so a changed status changes the documents), plus PLT_INFRASTRUCTURE, which every
 * API route can answer. Codes are checked against the catalogue by the compiler.
 */
export function routeErrors<Table extends ErrorCatalogue>(
  table: Table,
  ...codes: Array<keyof Table & string>
): RouteErrors {
  const errors: Record<string, { httpStatus: number }> = { ...API_ROUTE_ERRORS };
  for (const code of codes) errors[code] = { httpStatus: table[code]?.httpStatus ?? 500 };
  return errors;
}

/** What every route that needs a token can answer before its handler runs (the access hook, auth.ts). */
const AUTH_ERRORS: RouteErrors = {
  PLT_UNAUTHENTICATED: PLATFORM_ERRORS.PLT_UNAUTHENTICATED,
  PLT_FORBIDDEN: PLATFORM_ERRORS.PLT_FORBIDDEN,
};

/** The OpenAPI security scheme every non-public operation names. */
const BEARER_SCHEME = 'bearerAuth';
const BEARER_SECURITY_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'A JWT whose `sub` is the caller (a customer id, an operator or a service) and whose `roles` claim lists its roles (`customer`, `operator`, `service`). Each operation names the roles it accepts; `npm run cli -- token --customer <id>` / `--operator` mints one for the local stack.',
} as const;

/** Codes the error handler below sends for a route with request schemas or a body, whatever the route. */
const VALIDATION_ERROR: RouteErrors = { HTTP_VALIDATION_FAILED: HTTP_ERRORS.HTTP_VALIDATION_FAILED };
/** Fastify's own body errors (their FST_ codes pass through the error handler unchanged). */
const BODY_ERRORS: RouteErrors = {
  FST_ERR_CTP_EMPTY_JSON_BODY: { httpStatus: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { httpStatus: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { httpStatus: 400 },
  FST_ERR_CTP_BODY_TOO_LARGE: { httpStatus: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { httpStatus: 415 },
};

/** What the documents need to know of a route, noted as each route is declared. */
interface RouteShape {
  validated: boolean;
  hasBody: boolean;
  errors: RouteErrors;
  /** Default: public (the platform's own routes). */
  access?: Access;
}

/**
 * The error codes a route can answer with, by status: its own (config.errors), the validation error when
 * it validates any part of the request, and Fastify's body errors when it takes a body. A 500 is the
 * `default` response of every operation (PLT_UNEXPECTED: a bug, never a client's fault).
 */
export function documentedErrors(route: RouteShape): Map<number, string[]> {
  const all: RouteErrors = {
    ...(route.access === undefined || route.access === 'public' ? {} : AUTH_ERRORS),
    ...(route.validated ? VALIDATION_ERROR : {}),
    ...(route.hasBody ? BODY_ERRORS : {}),
    ...route.errors,
  };
  const byStatus = new Map<number, string[]>();
  for (const [code, { httpStatus }] of Object.entries(all)) {
    if (httpStatus < 400 || httpStatus === 500) continue;
    byStatus.set(httpStatus, [...(byStatus.get(httpStatus) ?? []), code]);
  }
  for (const codes of byStatus.values()) codes.sort();
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/** A Fastify path (`/orders/:id`) as an OpenAPI path (`/orders/{id}`), as @fastify/swagger writes it. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function errorResponse(status: number, codes: readonly string[]): unknown {
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((code) => `\`${code}\``).join(', ')}`,
    content: {
      'application/json': {
        schema: {
          $ref: '#/components/schemas/ErrorBody',
          properties: { error: { properties: { code: { enum: codes } } } },
        },
      },
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'No valid bearer token',
  403: 'The token lacks the role the operation needs',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests, retry after Retry-After seconds',
  503: 'Unavailable, retry later',
  504: 'Timed out, retry later',
};

type OpenApiDocument = {
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  paths?: Record<
    string,
    Record<string, { responses?: Record<string, unknown>; security?: unknown; description?: string }>
  >;
};

/**
 * Every operation answers errors with ErrorBody (setErrorHandler below); the route schemas do not say so.
 * Each operation gets one response per status it can fail with, listing the codes (documentedErrors), and
 * the `default` response for the unexpected.
 */
function withErrorResponses<Document extends OpenApiDocument>(
  document: Document,
  routes: ReadonlyMap<string, RouteShape>,
): Document {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const route = routes.get(`${method.toUpperCase()} ${path}`);
      const errors = route === undefined ? [] : [...documentedErrors(route)];
      const access = route?.access ?? 'public';
      // OpenAPI 3.1 lets a non-OAuth requirement list role names: the roles the operation accepts.
      operation.security = access === 'public' ? [] : [{ [BEARER_SCHEME]: [...access] }];
      operation.responses = {
        ...operation.responses,
        ...Object.fromEntries(errors.map(([status, codes]) => [String(status), errorResponse(status, codes)])),
        default: {
          description: 'An unexpected error (`PLT_UNEXPECTED`, 500), with its stable code',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        },
      };
    }
  }
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY_SCHEMA },
    securitySchemes: { ...document.components?.securitySchemes, [BEARER_SCHEME]: BEARER_SECURITY_SCHEME },
  };
  return document;
}

/**
 * A Fastify app with the behaviour every service shares: JSON errors with stable codes, `/health`, request
 * metrics (when given a registry), and the API's OpenAPI document at OPENAPI_PATH with a reference at API_DOCS_PATH.
 * Validation errors from route schemas become 400 `HTTP_VALIDATION_FAILED` with the offending fields.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    // One line per request is noise at hundreds of orders per second; metrics carry rates and latencies.
    logController: new LogController({ disableRequestLogging: true }),
    // Strict validation: unknown fields are refused, never silently dropped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // The router's own refusals (a path that is not valid percent-encoding, a path parameter over the length
    // limit) bypass the error handler: answered here in the same error body, with their FST_ code.
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
      (reply as FastifyReply)
        .status(status)
        .send({ error: { code: error.code, message: error.message } } satisfies ErrorBody);
    },
    // What the HTTP parser refuses before Fastify sees a request (headers over the limit, a malformed request
    // line) is answered here, in the same error body, instead of Fastify's own.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const code =
        (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 'HTTP_HEADERS_TOO_LARGE' : 'HTTP_BAD_REQUEST';
      const status = HTTP_ERRORS[code].httpStatus;
      const body = JSON.stringify({
        error: {
          code,
          message: code === 'HTTP_HEADERS_TOO_LARGE' ? 'Request headers too large' : 'Malformed HTTP request',
        },
      } satisfies ErrorBody);
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });
  // First of the hooks: every route declared after it (the documentation's included) gets its access checked.
  enforceAccess(app, options.auth, API_DOCS_PATH);
  if (options.tracer !== undefined) traceRequests(app, options.tracer);
  if (options.registry !== undefined) registerHttpMetrics(app, options.registry, options.service);
  const routes = new Map<string, RouteShape>();
  app.addHook('onRoute', (route) => {
    const schema = route.schema ?? {};
    const shape: RouteShape = {
      validated: ['body', 'querystring', 'params', 'headers'].some((part) => part in schema),
      hasBody: 'body' in schema,
      errors: route.config?.errors ?? {},
      ...(route.config?.access === undefined ? {} : { access: route.config.access }),
    };
    for (const method of [route.method].flat()) routes.set(`${method} ${openApiPath(route.url)}`, shape);
  });
  // Awaited before any route exists: @fastify/swagger learns the routes from the onRoute hook, which Fastify
  // runs as each route is declared, so a route declared before the plugin has loaded would be missing.
  await app.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: `${options.service} API`, version: API_VERSION } },
    transformObject: (document) =>
      'openapiObject' in document
        ? withErrorResponses(document.openapiObject as OpenApiDocument, routes)
        : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: API_DOCS_PATH });
  // Only routes that ask for it are limited (config.rateLimit, see rateLimitPerCaller), after the access
  // hook, so the limit is per verified caller and an unauthenticated flood never reaches its store.
  await app.register(rateLimit, { global: false, hook: 'preHandler' });
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const body: ErrorBody = {
        error: {
          code: 'HTTP_VALIDATION_FAILED' satisfies HttpErrorCode,
          message: `Invalid request ${error.validationContext ?? ''}: ${error.message}`.replace('  ', ' '),
          details: error.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
        },
      };
      return reply.status(400).send(body);
    }
    // An AppError answered with 500 is a bug that reached HTTP (a contract violation while encoding, say):
    // logged and answered like any unexpected error, with its code.
    if (isAppError(error) && error.httpStatus !== 500) {
      return reply
        .status(error.httpStatus)
        .send({ error: { code: error.code, message: error.message } } satisfies ErrorBody);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors (body too large, bad JSON, wrong content type) keep their FST_ code.
      return reply.status(error.statusCode).send({
        error: { code: error.code ?? ('HTTP_BAD_REQUEST' satisfies HttpErrorCode), message: error.message },
      } satisfies ErrorBody);
    }
    const classified = classifyError(error);
    request.log.error({ err: error, code: classified.code }, 'request failed');
    return reply
      .status(classified.httpStatus)
      .send({ error: { code: classified.code, message: 'Internal error' } } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: { code: 'HTTP_NOT_FOUND' satisfies HttpErrorCode, message: `No route ${request.method} ${request.url}` },
    });
  });

  app.get('/health', { config: { access: 'public' } }, async () => ({ status: 'ok', service: options.service }));
  // close() ends only sockets idle when it starts; one busy with a request stays open after its response until
  // the keep-alive timeout (72 s), longer than the shutdown timeout. Responses sent while closing end their socket.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  return app;
}

/**
 * A server span per request, from `onRequest` to `onResponse` (or the client's abort), a child of the
 * request's `traceparent` when it has a valid one. The span is the active one while the route's handler
 * runs (its handler is wrapped as the route is declared), so the handler's transactions and the first
 * event of a flow it writes belong to the request's trace.
 */
function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  const end = (request: FastifyRequest, statusCode?: number) => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    if (statusCode === undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
    } else {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  app.addHook('onRoute', (route) => {
    if (UNTRACED_ROUTES.has(route.url)) return;
    const handler = route.handler;
    route.handler = function traced(this: FastifyInstance, request, reply) {
      const span = spans.get(request);
      return span === undefined
        ? handler.call(this, request, reply)
        : context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    };
  });
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route !== undefined && UNTRACED_ROUTES.has(route)) return;
    const header = request.headers.traceparent;
    const state = request.headers.tracestate;
    const parent = remoteParent(
      typeof header === 'string' ? header : undefined,
      typeof state === 'string' ? state : undefined,
    );
    const path = request.url.split('?', 1)[0] as string;
    spans.set(
      request,
      tracer.startSpan(
        route === undefined ? request.method : `${request.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'url.path': path,
            'url.scheme': 'http',
            ...(route === undefined ? {} : { 'http.route': route }),
          },
        },
        parent,
      ),
    );
  });
  app.addHook('onError', async (request, _reply, error) => {
    spans.get(request)?.recordException(error);
  });
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  app.addHook('onRequestAbort', async (request) => end(request));
}
