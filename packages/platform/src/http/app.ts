import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { classifyError, isAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

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
}

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

type OpenApiDocument = {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
};

/** Every operation answers errors with ErrorBody (setErrorHandler below); the route schemas do not say so. */
function withErrorResponses<Document extends OpenApiDocument>(document: Document): Document {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      operation.responses = {
        ...operation.responses,
        default: {
          description: 'An error, with its stable code',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        },
      };
    }
  }
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY_SCHEMA },
  };
  return document;
}

/**
 * A Fastify app with the behaviour every service shares: JSON errors with stable codes, `/health`, and the
 * API's OpenAPI document at OPENAPI_PATH with a reference at API_DOCS_PATH.
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
  });
  // Awaited before any route exists: @fastify/swagger learns the routes from the onRoute hook, which Fastify
  // runs as each route is declared, so a route declared before the plugin has loaded would be missing.
  await app.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: `${options.service} API`, version: API_VERSION } },
    transformObject: (document) =>
      'openapiObject' in document
        ? withErrorResponses(document.openapiObject as OpenApiDocument)
        : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: API_DOCS_PATH });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const body: ErrorBody = {
        error: {
          code: 'HTTP_VALIDATION_FAILED',
          message: `Invalid request ${error.validationContext ?? ''}: ${error.message}`.replace('  ', ' '),
          details: error.validation.map((v) => ({ path: v.instancePath, message: v.message, params: v.params })),
        },
      };
      return reply.status(400).send(body);
    }
    if (isAppError(error)) {
      return reply
        .status(error.httpStatus)
        .send({ error: { code: error.code, message: error.message } } satisfies ErrorBody);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors (body too large, bad JSON, wrong content type) keep their FST_ code.
      return reply
        .status(error.statusCode)
        .send({ error: { code: error.code ?? 'HTTP_BAD_REQUEST', message: error.message } } satisfies ErrorBody);
    }
    const classified = classifyError(error);
    request.log.error({ err: error, code: classified.code }, 'request failed');
    return reply
      .status(classified.httpStatus)
      .send({ error: { code: classified.code, message: 'Internal error' } } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'HTTP_NOT_FOUND', message: `No route ${request.method} ${request.url}` } });
  });

  app.get('/health', async () => ({ status: 'ok', service: options.service }));
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
