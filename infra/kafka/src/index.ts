export {
  BROKER_PRINCIPAL,
  type BrokerSecurity,
  CONTROLLER_PRINCIPAL,
  credentialsDirOf,
  PROVISIONER_PRINCIPAL,
  passwordFile,
  readPassword,
  type SaslCredentials,
  SCRAM_MECHANISM,
} from './broker-security.ts';
export {
  CLUSTER_SIZE,
  type ClusterOptions,
  DEFAULT_CLUSTER_CLIENT_BASE_PORT,
  DEFAULT_CLUSTER_CONTROLLER_BASE_PORT,
  type KafkaCluster,
  startCluster,
} from './cluster.ts';
export { BOOTSTRAP_ENV_VAR, externalBootstrapServers } from './external-kafka.ts';
export { findFreePortBlock, isPortFree } from './free-ports.ts';
export type { InstanceKind } from './instance-dirs.ts';
export { CLUSTER_NODE_HEAP, type HeapSettings, SINGLE_BROKER_HEAP } from './jvm-options.ts';
export type { KafkaNode } from './kafka-node.ts';
export { type InstanceStatus, kafkaStatus, type NodeStatus } from './kafka-status.ts';
export {
  CONSUMER_GROUP_COMMAND_CLASS,
  defaultBootstrapServers,
  type KafkaToolOptions,
  kafkaConsumerGroups,
  kafkaTopics,
  runKafkaTool,
  TOPIC_COMMAND_CLASS,
} from './kafka-tools.ts';
export { pollUntil } from './poll-until.ts';
export type { Reporter } from './reporter.ts';
export { consoleReporter, silentReporter, stderrReporter } from './reporter.ts';
export { type ResolvedKafka, type ResolveKafkaOptions, resolveKafka } from './resolve-kafka.ts';
export type { JavaRunResult } from './run-java-main.ts';
export {
  DEFAULT_CLIENT_PORT,
  DEFAULT_CONTROLLER_PORT,
  type SingleBroker,
  type SingleBrokerOptions,
  startSingleBroker,
} from './single-broker.ts';
export { type KafkaHandle, type StartKafkaOptions, startKafka } from './start-kafka.ts';
export { type StopKafkaOptions, stopKafka } from './stop-kafka.ts';
export type { ClientSecurity } from './wait-for-metadata.ts';
export {
  type BrokerInfo,
  DEFAULT_READY_TIMEOUT_MS,
  type MetadataSummary,
  type WaitForMetadataOptions,
  waitForMetadata,
} from './wait-for-metadata.ts';
