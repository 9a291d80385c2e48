import { externalBootstrapServers } from './external-kafka.ts';
import { advertisedAddress } from './loopback.ts';
import { type Reporter, stderrReporter } from './reporter.ts';
import { resolveKafka } from './resolve-kafka.ts';
import { type JavaRunResult, runJavaMain } from './run-java-main.ts';
import { DEFAULT_CLIENT_PORT } from './single-broker.ts';

/** The classes kafka-topics.sh and kafka-consumer-groups.sh run in Kafka 4.2 (kafka-tools jar). */
export const TOPIC_COMMAND_CLASS = 'org.apache.kafka.tools.TopicCommand';
export const CONSUMER_GROUP_COMMAND_CLASS = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';

const BOOTSTRAP_FLAG = '--bootstrap-server';

export interface KafkaToolOptions {
  /** Used when the args carry no --bootstrap-server; default KAFKA_BOOTSTRAP_SERVERS, else localhost:9092. */
  bootstrapServers?: string | readonly string[];
  /** 'capture' (default) returns the output; 'inherit' prints straight to the terminal. */
  stdio?: 'capture' | 'inherit';
  /** Progress of a first-time Kafka download; keep it off stdout when stdout is the tool's output. */
  report?: Reporter;
  env?: NodeJS.ProcessEnv;
}

export function defaultBootstrapServers(env: NodeJS.ProcessEnv = process.env): string {
  return (externalBootstrapServers(env) ?? [advertisedAddress(DEFAULT_CLIENT_PORT)]).join(',');
}

/** Adds --bootstrap-server unless the caller already chose one. */
export function withBootstrapServer(args: readonly string[], bootstrapServers: string): string[] {
  const given = args.some((arg) => arg === BOOTSTRAP_FLAG || arg.startsWith(`${BOOTSTRAP_FLAG}=`));
  return given ? [...args] : [...args, BOOTSTRAP_FLAG, bootstrapServers];
}

/** Runs an official Kafka CLI tool class with our classpath; a non-zero exit code is returned, not thrown. */
export async function runKafkaTool(
  mainClass: string,
  args: readonly string[],
  options: KafkaToolOptions = {},
): Promise<JavaRunResult> {
  const env = options.env ?? process.env;
  const { classpath } = await resolveKafka({ report: options.report ?? stderrReporter, env });
  const servers =
    typeof options.bootstrapServers === 'string'
      ? options.bootstrapServers
      : (options.bootstrapServers?.join(',') ?? defaultBootstrapServers(env));
  return runJavaMain(mainClass, withBootstrapServer(args, servers), { classpath, stdio: options.stdio, env });
}

/** kafka-topics.sh, e.g. kafkaTopics(['--describe', '--topic', 'orders']). */
export function kafkaTopics(args: readonly string[], options?: KafkaToolOptions): Promise<JavaRunResult> {
  return runKafkaTool(TOPIC_COMMAND_CLASS, args, options);
}

/** kafka-consumer-groups.sh, e.g. kafkaConsumerGroups(['--describe', '--group', 'billing']). */
export function kafkaConsumerGroups(args: readonly string[], options?: KafkaToolOptions): Promise<JavaRunResult> {
  return runKafkaTool(CONSUMER_GROUP_COMMAND_CLASS, args, options);
}
