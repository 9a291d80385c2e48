/**
 * `@shop/platform`: what services, tools and tests share to run on Kafka and PostgreSQL. Everything a
 * caller may use is exported here; modules behind it are private and may move. The one other entry
 * point is `@shop/platform/provisioning` (topic administration, for tools). Test helpers live in
 * `@shop/test-support`, never here.
 */

/** Resilience: the one backoff policy for in-place retries, and the one deadline wrapper for calls. */
export { backoffMs, INFRASTRUCTURE_MAX_BACKOFF_MS, INFRASTRUCTURE_MIN_BACKOFF_MS, nextBackoffMs } from './backoff.ts';

/** Configuration: environment validated against a TypeBox schema at boot. */
export {
  type CommonEnv,
  CommonEnvSchema,
  DEFAULT_BOOTSTRAP_SERVERS,
  databaseUrl,
  deepFreeze,
  type Env,
  KafkaSecurityEnvSchema,
  LOG_LEVELS,
  loadEnv,
  parseBootstrapServers,
} from './config.ts';
/** Consuming: catalog consumers (retry tiers, dead letters, inbox) and the batch handler contract. */
export {
  type BatchContext,
  type BatchItem,
  BatchItemError,
  type BatchResult,
  type HandlerContext,
  type KafkaRecord,
  type Rejection,
} from './consume/types.ts';
/** Schema: migrations (the platform's own outbox and inbox tables first) and databases created on demand. */
export { dropDatabase, ensureDatabase } from './db/databases.ts';
export { type AppliedMigration, type MigrationSource, migrate } from './db/migrate.ts';
/** PostgreSQL: pools, transactions and the narrow `Queryable` port repositories take. */
export {
  connect,
  createPool,
  DB_CONNECT_TIMEOUT_MS,
  DB_IDLE_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  inTransaction,
  type Pool,
  type PoolClient,
  type PoolOptions,
} from './db/pool.ts';
export type { Queryable } from './db/queryable.ts';
/** Group commit and batched point reads: calls arriving while a statement runs share the next one. */
export { StatementBatcher, type StatementBatcherOptions } from './db/statement-batcher.ts';
export { withDeadline } from './deadline.ts';
/** Errors: stable codes with `retryable` and an HTTP status, and the one classifier of foreign errors. */
export {
  AppError,
  type AppErrorOptions,
  classifyError,
  type ErrorCatalogue,
  type ErrorFactory,
  type ErrorOptions,
  type ErrorSpec,
  errorFactory,
  HTTP_ERRORS,
  type HttpErrorCode,
  httpError,
  isAppError,
  PLATFORM_ERRORS,
  type PlatformErrorCode,
  platformError,
} from './errors.ts';
export {
  CatalogConsumer,
  type CatalogConsumerOptions,
  type EventBatchHandler,
  type EventBatchItem,
  type EventHandler,
  type EventHandlerContext,
} from './events/catalog-consumer.ts';
/** Publishing: events appended to the outbox in the business transaction, published by the relay. */
export {
  type AnyAppendEventInput,
  type AppendEventInput,
  createEventWriter,
  type EncodedOutboxEvent,
  type EventCause,
  type EventWriter,
} from './events/event-writer.ts';
/** Periodic housekeeping (pruning, retention): once at start, then every interval; failures logged. */
export { HousekeepingJob, type HousekeepingJobOptions } from './housekeeping-job.ts';
/** HTTP: route error declarations and the paths every service's app serves. */
export {
  API_DOCS_PATH,
  API_VERSION,
  DEFAULT_BODY_LIMIT_BYTES,
  type ErrorBody,
  OPENAPI_PATH,
  type RouteErrors,
  routeErrors,
} from './http/app.ts';
/** HTTP authentication: every route's declared access, the verified caller, tokens for the local stack. */
export {
  type Access,
  AuthEnvSchema,
  type AuthSettings,
  authSettings,
  createTokenVerifier,
  hasRole,
  LOCAL_TOKEN_AUDIENCE,
  LOCAL_TOKEN_ISSUER,
  MIN_SECRET_LENGTH,
  type MintTokenOptions,
  mintToken,
  type Principal,
  principal,
  ROLES,
  type Role,
  readSecretFile,
  type ServiceCredential,
} from './http/auth.ts';
export { type RateLimitPerCallerOptions, rateLimitPerCaller } from './http/rate-limit.ts';
/** Kafka: the only constructors of clients (durability defaults built in) and the namespace of a stack. */
export {
  type ConsumerOverrides,
  clientSecurityOptions,
  createAdmin,
  createConsumer,
  createProducer,
  type KafkaAdmin,
  type KafkaConnection,
  type KafkaConsumer,
  type KafkaProducer,
  type ProducerOverrides,
} from './kafka/clients.ts';
export { type ClassifiedFailure, classifyFailure, type FailureKind } from './kafka/failure.ts';
export { type KafkaNamespace, kafkaNamespace, NAMESPACE_PATTERN } from './kafka/namespace.ts';
/** Kafka security: each process's SASL login and TLS settings, from its environment. */
export {
  type KafkaSecurity,
  kafkaConnectionFromEnv,
  kafkaSecurityFromEnv,
  LOCAL_CREDENTIALS_DIR,
  principalLogin,
  type SaslLogin,
  type SaslMechanism,
} from './kafka/security.ts';
/** Logging: pino loggers with the context (event, correlation) of the work in progress. */
export {
  createLogger,
  type LogContext,
  type Logger,
  type LoggerOptions,
  withLogContext,
} from './logger.ts';
/** Metrics: gauges read at scrape time that can never fail a scrape. */
export {
  COLLECT_ERRORS_METRIC,
  type GaugeSample,
  SCRAPE_READ_TIMEOUT_MS,
  type ScrapeGaugeOptions,
  scrapeGauge,
} from './metrics/scrape-gauge.ts';
/** The relay's leadership lock (fault tools find the leader's session by it). */
export { OUTBOX_LEADER_LOCK_KEY } from './outbox/outbox-relay.ts';
export { signalOutboxCommit } from './outbox/outbox-signal.ts';
export type { OutboxMessage } from './outbox/outbox-writer.ts';
export { platformMigrations } from './platform-migrations.ts';
/** Preflight: fail within seconds, with a fix, when PostgreSQL or Kafka is not there. */
export { checkKafka, checkPostgres, PREFLIGHT_TIMEOUT_MS } from './preflight.ts';
/** Service boot: declare a service, and `startService`/`runServiceMain` build and run it. */
export {
  type ConsumeOptions,
  loadServiceConfig,
  type RunningService,
  runServiceMain,
  type ServiceConfig,
  type ServiceContext,
  type ServiceDefinition,
  startService,
} from './service.ts';

/** Tracing: OpenTelemetry export, started by `startService` (and by tests that read the spans). */
export { startTracing, stopTracing } from './tracing.ts';
