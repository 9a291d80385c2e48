import type { ConsumerId, ServiceName } from '@shop/contracts';
import { servicePrincipal } from '@shop/contracts/principals';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { TObject, TProperties } from 'typebox';
import Type from 'typebox';
import { CommonEnvSchema, databaseUrl, type Env, loadEnv, parseBootstrapServers } from './config.ts';
import { ensureDatabase } from './db/databases.ts';
import { type MigrationSource, migrate } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { CatalogConsumer, type EventBatchHandler, type EventHandler } from './events/catalog-consumer.ts';
import { createEventWriter, type EventWriter } from './events/event-writer.ts';
import { createHttpApp } from './http/app.ts';
import {
  type AuthEnv,
  AuthEnvSchema,
  type AuthSettings,
  authSettings,
  createTokenVerifier,
  type ServiceCredential,
  serviceCredential,
} from './http/auth.ts';
import type { KafkaConnection } from './kafka/clients.ts';
import { createProducer, KAFKA_SERVICE_SEND_RETRIES, type KafkaProducer } from './kafka/clients.ts';
import { type KafkaNamespace, kafkaNamespace, NAMESPACE_PATTERN } from './kafka/namespace.ts';
import { kafkaSecurityFromEnv } from './kafka/security.ts';
import { createLogger, type Logger } from './logger.ts';
import { registerEventLoopBusy } from './metrics/event-loop.ts';
import { OutboxRelay } from './outbox/outbox-relay.ts';
import { sameDatabaseAs } from './outbox/outbox-signal.ts';
import { checkKafka, checkPostgres } from './preflight.ts';
import { createShutdown, type Shutdown } from './shutdown.ts';
import {
  flushTracing,
  serviceTracer,
  startTracing,
  TracingEnvSchema,
  type TracingSettings,
  tracingSettings,
} from './tracing.ts';

/** What a service declares about itself; `runService` does the rest of the boot. */
export interface ServiceDefinition {
  /** `<name>-service`, used in logs, client ids and metrics; owns the topics prefixed with it. */
  name: ServiceName;
  defaultPort: number;
  defaultDatabase: string;
  migrations: readonly MigrationSource[];
  /** Registers routes, consumers and relays; registers their closers on `context.shutdown`. */
  start(context: ServiceContext): Promise<void>;
}

export interface ServiceConfig {
  service: string;
  host: string;
  port: number;
  logLevel: string;
  databaseServerUrl: string;
  databaseName: string;
  databaseUrl: string;
  kafka: KafkaConnection;
  /** Prefix of topic and group names; empty in production. */
  namespace: KafkaNamespace;
  /** Retry tier delays overriding the catalog's; undefined in production. */
  retryDelaysMs?: readonly number[];
  outboxRelayEnabled: boolean;
  /** Crash-test fault injection (see FAULT_KILL_AFTER_COMMIT); undefined in production. */
  faultKillAfterCommit?: string;
  /** Where traces go (the OTEL_* variables); undefined when tracing is off, the default. */
  tracing?: TracingSettings;
  /** How bearer tokens are verified (the AUTH_* variables); required: a service never runs open. */
  auth: AuthSettings;
  /** AUTH_SERVICE_TOKEN, when given. */
  serviceToken?: string;
}

export interface ServiceContext {
  config: Readonly<ServiceConfig>;
  /**
   * The environment the service was started with, for its own settings: the service validates them with
   * `loadEnv` in `start` (the one place that reads it), so tests can pass them like any other variable.
   */
  env: Env;
  logger: Logger;
  /** The pool of requests, timers and everything but the consumers. */
  pool: Pool;
  /**
   * The consumers' own pool on the same database: batches never wait behind HTTP requests for a
   * connection (under a burst of requests the shared pool starved settling, found by the chaos run).
   * Commits on it wake the outbox relay like those on `pool`; code that reacts to transactions ending
   * (a pool's 'release' event) listens on both.
   */
  consumerPool: Pool;
  app: FastifyInstance;
  /**
   * The token the service presents on its calls to another service's API (role `service`); undefined when
   * it has none (a JWKS without AUTH_SERVICE_TOKEN): a service that needs one refuses to start then.
   */
  serviceCredential: ServiceCredential | undefined;
  shutdown: Shutdown;
  /** Prometheus registry served at /metrics. */
  registry: Registry;
  /** Shared idempotent producer (outbox relay, retry and dead-letter routing). */
  producer: KafkaProducer;
  /** Appends this service's events to its outbox. */
  events: EventWriter;
  /**
   * Starts a catalog consumer (with its retry tiers and dead-letter path) and stops it on shutdown. The
   * handler is per record (a function) or per batch (`{ handleBatch }`, one transaction per fetched batch).
   */
  consume(
    consumer: ConsumerId,
    handler: EventHandler | { handleBatch: EventBatchHandler },
    options?: ConsumeOptions,
  ): Promise<CatalogConsumer>;
}

export interface ConsumeOptions {
  /** Delay of each retry tier. Default: the catalog's. */
  retryDelaysMs?: readonly number[];
}

export interface RunningService {
  context: ServiceContext;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8081 */
  url: string;
  stop(): Promise<void>;
}

function serviceEnvSchema(definition: ServiceDefinition): TObject<TProperties> {
  return Type.Object({
    ...CommonEnvSchema.properties,
    ...TracingEnvSchema.properties,
    ...AuthEnvSchema.properties,
    HOST: Type.String({ default: '127.0.0.1' }),
    /** 0 picks a free port (tests). */
    PORT: Type.Integer({ default: definition.defaultPort, minimum: 0, maximum: 65_535 }),
    DATABASE_NAME: Type.String({ default: definition.defaultDatabase, pattern: '^[a-z][a-z0-9_]{0,62}$' }),
    /** Prefix for every topic and consumer group name (tests, parallel stacks). Default: none. */
    KAFKA_NAMESPACE: Type.String({ default: '', pattern: NAMESPACE_PATTERN }),
    /**
     * Runs the outbox relay in this process. Default: true. Off: events accumulate in the outbox until a
     * process with the relay on starts (a separate relay deployment, or the relay crash tests of tests/e2e/crash-recovery.test.ts).
     */
    OUTBOX_RELAY_ENABLED: Type.Boolean({ default: true }),
    /**
     * Fault injection for crash tests, never set in production: the id of a catalog consumer whose process
     * SIGKILLs itself right after its first record's transaction commits, before the offset commit.
     */
    FAULT_KILL_AFTER_COMMIT: Type.Optional(Type.String({ pattern: '^[a-zA-Z]+$' })),
    /** Comma-separated retry tier delays in ms, overriding the catalog's (tests shorten them). */
    RETRY_DELAYS_MS: Type.Optional(Type.String({ pattern: '^\\d+(,\\d+)*$' })),
  });
}

export function loadServiceConfig(definition: ServiceDefinition, env: Env = process.env): Readonly<ServiceConfig> {
  const raw = loadEnv(serviceEnvSchema(definition), env) as Record<string, unknown>;
  const serverUrl = String(raw.DATABASE_URL);
  const databaseName = String(raw.DATABASE_NAME);
  return Object.freeze({
    service: definition.name,
    host: String(raw.HOST),
    port: Number(raw.PORT),
    logLevel: String(raw.LOG_LEVEL),
    databaseServerUrl: serverUrl,
    databaseName,
    databaseUrl: databaseUrl(serverUrl, databaseName),
    kafka: Object.freeze({
      bootstrapServers: Object.freeze(parseBootstrapServers(String(raw.KAFKA_BOOTSTRAP_SERVERS))),
      clientId: definition.name,
      // Each service logs in as its own principal: the catalog's ACLs grant it only its own topics and groups.
      security: kafkaSecurityFromEnv(env, servicePrincipal(definition.name)),
    }),
    namespace: kafkaNamespace(String(raw.KAFKA_NAMESPACE)),
    ...(raw.RETRY_DELAYS_MS === undefined ? {} : { retryDelaysMs: String(raw.RETRY_DELAYS_MS).split(',').map(Number) }),
    outboxRelayEnabled: raw.OUTBOX_RELAY_ENABLED === true,
    ...(raw.FAULT_KILL_AFTER_COMMIT === undefined ? {} : { faultKillAfterCommit: String(raw.FAULT_KILL_AFTER_COMMIT) }),
    ...withTracing(tracingSettings(raw, definition.name)),
    auth: Object.freeze(authSettings(raw as AuthEnv)),
    ...(raw.AUTH_SERVICE_TOKEN === undefined ? {} : { serviceToken: String(raw.AUTH_SERVICE_TOKEN) }),
  });
}

function withTracing(tracing: TracingSettings | undefined): { tracing?: TracingSettings } {
  return tracing === undefined ? {} : { tracing };
}

export interface StartServiceOptions {
  /** Where the service's log lines go. Default: stdout. Tests pass a stream to read what was logged. */
  logDestination?: NodeJS.WritableStream;
}

/**
 * Boots a service: validated config, preflight of PostgreSQL and Kafka (fail within seconds with a fix),
 * its database created and migrated, HTTP listening, and closers registered in start order so shutdown
 * stops intake first and closes pools last.
 */
export async function startService(
  definition: ServiceDefinition,
  env: Env = process.env,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const config = loadServiceConfig(definition, env);
  const logger = createLogger({
    service: definition.name,
    level: config.logLevel,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const shutdown = createShutdown({ logger });
  // Before anything that makes spans is built: each component takes its tracer (or none) when created.
  startTracing({ settings: config.tracing });

  await checkPostgres(config.databaseServerUrl);
  await checkKafka(config.kafka.bootstrapServers, undefined, config.kafka.security);
  await ensureDatabase(config.databaseServerUrl, config.databaseName);
  try {
    return await assemble(definition, config, env, logger, shutdown);
  } catch (error) {
    // Whatever was started before the failure (pool, producer, relay, consumers) is closed, so a failed
    // boot leaves nothing running: the process exits cleanly and a test's failure does not leak.
    await shutdown.run('start-up failed');
    throw error;
  }
}

async function assemble(
  definition: ServiceDefinition,
  config: Readonly<ServiceConfig>,
  env: Env,
  logger: Logger,
  shutdown: Shutdown,
): Promise<RunningService> {
  const tracer = serviceTracer(definition.name);
  // Registered first so it runs last: the spans of everything stopped before it are exported.
  if (tracer !== undefined) shutdown.register('traces', () => flushTracing());
  const pool = createPool(config.databaseUrl, {
    applicationName: definition.name,
    ...(tracer === undefined ? {} : { tracer }),
  });
  shutdown.register('postgres pool', () => pool.end());
  await migrate(pool, definition.migrations, logger);
  // Registered after the request pool's, so it ends first: the consumers that use it have stopped by then.
  const consumerPool = createPool(config.databaseUrl, {
    applicationName: `${definition.name} consumers`,
    ...(tracer === undefined ? {} : { tracer }),
  });
  sameDatabaseAs(consumerPool, pool);
  shutdown.register('postgres consumer pool', () => consumerPool.end());

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerEventLoopBusy(registry);
  const producer = createProducer(
    { ...config.kafka, clientId: `${definition.name}-producer` },
    { retries: KAFKA_SERVICE_SEND_RETRIES },
  );
  shutdown.register('kafka producer', () => producer.close());
  const relay = new OutboxRelay({
    pool,
    databaseUrl: config.databaseUrl,
    producer,
    logger,
    registry,
    service: definition.name,
    ...(tracer === undefined ? {} : { tracer }),
  });
  if (config.outboxRelayEnabled) {
    relay.start();
    shutdown.register('outbox relay', () => relay.stop());
  } else {
    logger.warn('outbox relay disabled (OUTBOX_RELAY_ENABLED=false): events stay in the outbox');
  }

  const app = await createHttpApp({
    service: definition.name,
    logger,
    registry,
    auth: createTokenVerifier(config.auth),
    ...(tracer === undefined ? {} : { tracer }),
  });
  const consumers: CatalogConsumer[] = [];
  app.get('/metrics', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.get('/ready', { config: { access: 'public' } }, async (_request, reply) => {
    const database = await pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    const consuming = consumers.every((consumer) => consumer.healthy);
    const ready = database && consuming;
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not-ready', database, consumers: consuming });
  });
  const context: ServiceContext = {
    config,
    env,
    logger,
    pool,
    consumerPool,
    app,
    serviceCredential: serviceCredential(config.auth, definition.name, config.serviceToken),
    shutdown,
    registry,
    producer,
    events: createEventWriter({ service: definition.name, namespace: config.namespace }),
    async consume(consumerId, handler, options = {}) {
      const retryDelaysMs = options.retryDelaysMs ?? config.retryDelaysMs;
      const consumer = new CatalogConsumer({
        consumer: consumerId,
        ...(typeof handler === 'function' ? { handle: handler } : { handleBatch: handler.handleBatch }),
        connection: { ...config.kafka, clientId: `${definition.name}-${consumerId}` },
        namespace: config.namespace,
        pool: consumerPool,
        logger,
        producer,
        registry,
        ...(tracer === undefined ? {} : { tracer }),
        ...(retryDelaysMs === undefined ? {} : { retryDelaysMs }),
        ...(config.faultKillAfterCommit === consumerId
          ? {
              afterTransaction: () => {
                logger.warn(
                  { consumer: consumerId },
                  'FAULT_KILL_AFTER_COMMIT: killing this process before the offset commit',
                );
                process.kill(process.pid, 'SIGKILL');
              },
            }
          : {}),
      });
      await consumer.start();
      consumers.push(consumer);
      shutdown.register(`consumer ${consumerId}`, () => consumer.stop());
      return consumer;
    },
  };
  await definition.start(context);

  // Registered last so it runs first: stop taking requests before consumers and pools go away. Registered
  // before `listen`, so a listen that fails (port taken) still closes the app with everything else.
  shutdown.register('http server', () => app.close());
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url }, `${definition.name} listening`);
  return { context, url, stop: () => shutdown.run('stop') };
}

/** Entry point for `services/<name>/src/main.ts`: start, handle signals, exit non-zero on boot failure. */
export async function runServiceMain(definition: ServiceDefinition): Promise<void> {
  try {
    const running = await startService(definition);
    running.context.shutdown.installSignalHandlers();
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    const code = (error as { code?: string }).code;
    process.stderr.write(
      `${definition.name} failed to start: ${code ? `[${code}] ` : ''}${(error as Error).message}\n${hint ? `  fix: ${hint}\n` : ''}`,
    );
    if (!hint) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  }
}
