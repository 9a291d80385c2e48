/**
 * `@shop/test-support`: helpers for integration tests on the real broker and database. Every name is
 * unique per call so test files can run in parallel on one machine, and everything created is removed in
 * `t.after`. Imported by tests only (it depends on `node:assert`); no `src` module may import it.
 */

/** Bearer tokens for the services under test (one random secret per test process). */
export {
  bearer,
  customerToken,
  operatorToken,
  serviceToken,
  TEST_AUTH_SECRET,
  testToken,
} from './auth.ts';
/** Services as child processes (real kills and restarts) and free ports for them. */
export { type ChildService, spawnService } from './child-service.ts';
/** Cleanups that run newest first, all of them even when one fails. */
export { Cleanups, deferCleanups } from './cleanups.ts';
export { countingQueryable } from './counting-queryable.ts';
/** Waiting for a condition, never for a fixed time. */
export { eventually } from './eventually.ts';
/** The broker and database under test, checked once per process. */
export {
  testBootstrapServers,
  testKafkaConnection,
  testKafkaSecurity,
  testKafkaSecurityEnv,
  testPostgresUrl,
  testPrincipalConnection,
} from './infrastructure.ts';
/** A test's phases and a deadline that names the phase a test was stuck in. */
export { Phases } from './phases.ts';
export { freePort } from './ports.ts';
/** Fresh databases, topics, namespaces and in-process services, removed after the test. */
export { createTestDatabase, type TestDatabase } from './test-database.ts';
export {
  RETRY_TIER_WAIT_MS,
  serviceLogTail,
  startTestService,
  TEST_RETRY_DELAYS_MS,
  type TestServiceOptions,
} from './test-service.ts';
export { createTestNamespace, createTestTopics, type TestTopicOptions } from './test-topics.ts';
/** Reading topics: until a count, a condition or the current end of the log; or following one. */
export {
  followTopic,
  READ_TOPIC_TIMEOUT_MS,
  type ReadTopicOptions,
  type ReadUntil,
  readTopic,
} from './topic-reader.ts';
/** Unique names for topics, groups and databases. */
export { uniqueName } from './unique-name.ts';
