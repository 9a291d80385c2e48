import {
  Admin,
  type BaseOptions,
  type ConsumeBaseOptions,
  Consumer,
  type ConsumerOptions,
  type GroupOptions,
  type Message,
  ProduceAcks,
  Producer,
  type ProducerOptions,
  stringDeserializer,
  stringSerializer,
} from '@platformatic/kafka';
import { backoffMs } from '../backoff.ts';
import { hasStaleMetadata } from './error-summary.ts';
import type { KafkaSecurity, SaslMechanism } from './security.ts';

/** A record as the services' consumers read it: string keys and headers' names, Buffer values. */
export type KafkaRecord = Message<string, Buffer, string, Buffer>;

/**
 * The only module that constructs @platformatic/kafka clients, so that the durability defaults below
 * cannot be forgotten by a caller. Keys are strings, values and header values stay raw bytes: encoding and
 * validation belong to `@shop/contracts`.
 */
export type KafkaProducer = Producer<string, Buffer, string, Buffer>;
export type KafkaConsumer = Consumer<string, Buffer, string, Buffer>;
export type KafkaAdmin = Admin;

/**
 * Attempts per request before the client gives up. The library's default of 3 (one second apart) is shorter
 * than a leader election on a restarted broker, which then surfaces as a failed send.
 */
export const KAFKA_CLIENT_RETRIES = 16;
/**
 * Cap of the wait between two of those attempts; the waits follow the platform's backoff (backoff.ts) from
 * its minimum, so the attempts of one request end within about 28 s and a request that cannot succeed
 * reaches the caller's own retry policy. The cap is short because it bounds how long a request waits after
 * the cluster has recovered: a broker of three killed, its partitions get new leaders once the controller
 * fences it (about 9 s), and with waits of up to 5 s a send then still waited up to 5 s more (measured:
 * sends stalled 15.6 s; with 2 s, the stall follows the election).
 */
export const KAFKA_CLIENT_MAX_RETRY_DELAY_MS = 2_000;
/**
 * Attempts per send for the services' shared producer, whose callers retry on their own: the outbox relay
 * passes again, the failure router retries in place. The client plans a send's destinations once, from the
 * metadata it holds when the send starts, and every attempt sends each group to the leader of its first
 * partition: once leaders have moved apart, the partitions that moved are answered NOT_LEADER_OR_FOLLOWER on
 * every attempt. Measured in a chaos run (three nodes, 100 orders/s, a partition leader killed and started
 * again): the relay's sends failed after 17 such attempts, about 40 s each, pass after pass, for over 45 s of
 * no settling. A send that fails after a few attempts is planned again, on fresh metadata, by the next pass.
 */
export const KAFKA_SERVICE_SEND_RETRIES = 2;
/** Per-request timeout. */
export const KAFKA_REQUEST_TIMEOUT_MS = 30_000;
export const KAFKA_CONNECT_TIMEOUT_MS = 5_000;

export interface KafkaConnection {
  bootstrapServers: readonly string[];
  /** Identifies the process in broker logs and quotas, e.g. `order-service`. */
  clientId: string;
  /** SASL login and TLS (kafka/security.ts); absent for a plaintext cluster. */
  security?: KafkaSecurity;
}

/**
 * The login options of a connection: the one function every Kafka client of the repository gets its
 * credentials through (the factories below, the preflight check).
 */
export function clientSecurityOptions(security: KafkaSecurity | undefined): {
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  tls?: NonNullable<KafkaSecurity['tls']>;
} {
  return {
    ...(security?.sasl === undefined ? {} : { sasl: { ...security.sasl } }),
    ...(security?.tls === undefined ? {} : { tls: security.tls }),
  };
}

/**
 * The wait before a client's next attempt, and a fresh look at the cluster when the last answer said the
 * leaders moved. The client refreshes its metadata between attempts only after a network error; after an
 * answer such as NOT_LEADER_OR_FOLLOWER from a live broker it kept the cached leaders, for the next attempts
 * and for the next send's plan. Cleared, the next lookup asks the cluster.
 */
export function clientRetryDelay(
  client: object,
  _operationId: unknown,
  attempt: number,
  _retries?: unknown,
  error?: unknown,
): number {
  // Every client of the library (producer, consumer, admin) has clearMetadata; the getter's type says object.
  const { clearMetadata } = client as { clearMetadata?: unknown };
  if (typeof clearMetadata === 'function' && hasStaleMetadata(error)) clearMetadata.call(client);
  return backoffMs(attempt, KAFKA_CLIENT_MAX_RETRY_DELAY_MS);
}

function baseOptions(connection: KafkaConnection) {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.bootstrapServers],
    retries: KAFKA_CLIENT_RETRIES,
    retryDelay: clientRetryDelay,
    timeout: KAFKA_REQUEST_TIMEOUT_MS,
    connectTimeout: KAFKA_CONNECT_TIMEOUT_MS,
    ...clientSecurityOptions(connection.security),
    // Topics come from the catalog through `topics apply`; a typo must fail, not create a topic.
    autocreateTopics: false,
  };
}

export type ProducerOverrides = Partial<
  Omit<ProducerOptions<string, Buffer, string, Buffer>, 'clientId' | 'bootstrapBrokers' | 'idempotent' | 'acks'>
>;

/**
 * An idempotent producer with acks=all: the broker de-duplicates retried batches and acknowledges only
 * after every in-sync replica has the record. Neither can be turned off through this factory.
 */
export function createProducer(connection: KafkaConnection, overrides: ProducerOverrides = {}): KafkaProducer {
  return new Producer<string, Buffer, string, Buffer>({
    ...baseOptions(connection),
    ...overrides,
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: { key: stringSerializer, headerKey: stringSerializer },
  });
}

export type ConsumerOverrides = Partial<
  Omit<
    BaseOptions & GroupOptions & ConsumeBaseOptions<string, Buffer, string, Buffer>,
    'clientId' | 'bootstrapBrokers' | 'autocommit'
  >
>;

/**
 * A group consumer with autocommit off: offsets are committed by the caller after the work they cover is
 * durable (left to itself, the library commits offsets on its own, before the work is done).
 */
export function createConsumer(
  connection: KafkaConnection,
  groupId: string,
  overrides: ConsumerOverrides = {},
): KafkaConsumer {
  return new Consumer<string, Buffer, string, Buffer>({
    ...baseOptions(connection),
    ...overrides,
    groupId,
    autocommit: false,
    deserializers: { key: stringDeserializer, headerKey: stringDeserializer },
  } as ConsumerOptions<string, Buffer, string, Buffer>);
}

export function createAdmin(connection: KafkaConnection): KafkaAdmin {
  return new Admin(baseOptions(connection));
}
