import {
  credentialsDirOf,
  PROVISIONER_PRINCIPAL,
  readPassword,
  type SaslCredentials,
  SCRAM_MECHANISM,
} from './broker-security.ts';
import { externalBootstrapServers } from './external-kafka.ts';
import { advertisedAddress } from './loopback.ts';
import { DEFAULT_SINGLE_DIR } from './repo-paths.ts';
import { type Reporter, stderrReporter } from './reporter.ts';
import { resolveKafka } from './resolve-kafka.ts';
import { type JavaRunResult, runJavaMain } from './run-java-main.ts';
import { DEFAULT_CLIENT_PORT } from './single-broker.ts';
import { withCommandConfig } from './tool-login.ts';

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
  /**
   * The login of a secured cluster. Default: KAFKA_SASL_USERNAME with KAFKA_SASL_PASSWORD, else the
   * provisioner's password in KAFKA_CREDENTIALS_DIR, else (no KAFKA_BOOTSTRAP_SERVERS) the local broker's.
   */
  sasl?: SaslCredentials;
}

function toolSasl(env: NodeJS.ProcessEnv): SaslCredentials | undefined {
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (username && password) return { mechanism: SCRAM_MECHANISM, username, password };
  const dir =
    env.KAFKA_CREDENTIALS_DIR || (externalBootstrapServers(env) ? undefined : credentialsDirOf(DEFAULT_SINGLE_DIR));
  const stored = dir === undefined ? undefined : readPassword(dir, PROVISIONER_PRINCIPAL);
  return stored === undefined
    ? undefined
    : { mechanism: SCRAM_MECHANISM, username: PROVISIONER_PRINCIPAL, password: stored };
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
  return withCommandConfig(withBootstrapServer(args, servers), options.sasl ?? toolSasl(env), (withLogin) =>
    runJavaMain(mainClass, withLogin, { classpath, stdio: options.stdio, env }),
  );
}

/** kafka-topics.sh, e.g. kafkaTopics(['--describe', '--topic', 'orders']). */
export function kafkaTopics(args: readonly string[], options?: KafkaToolOptions): Promise<JavaRunResult> {
  return runKafkaTool(TOPIC_COMMAND_CLASS, args, options);
}

/** kafka-consumer-groups.sh, e.g. kafkaConsumerGroups(['--describe', '--group', 'billing']). */
export function kafkaConsumerGroups(args: readonly string[], options?: KafkaToolOptions): Promise<JavaRunResult> {
  return runKafkaTool(CONSUMER_GROUP_COMMAND_CLASS, args, options);
}
